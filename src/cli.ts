import { Command, CommanderError, Option } from 'commander';
import { configJsonSchema } from './config/schema.js';
import { EXIT_USAGE, loadConfigOrExit } from './commands/config-or-exit.js';
import { SIMULATORS, simulate } from './commands/simulate.js';
import { pipelineProblems } from './commands/check.js';
import { createLogger } from './core/log.js';
import { VERSION } from './core/version.js';

// Each command loads its own modules when it runs: the service does not carry the demo's broker, nor
// the doctor's probes (memory a box keeps for months).

/** A config `run` can start: the schema, then the room's pipelines as the service renders them. `check` uses the same. */
function loadRoomOrExit(file: string) {
  const config = loadConfigOrExit(file);
  const problems = pipelineProblems(config);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${p}\n`);
    process.exit(EXIT_USAGE);
  }
  return config;
}

const program = new Command('classbox')
  .description('Edge gateway for a cloud classroom: cameras, board and projector, composed, streamed, recorded and controlled over MQTT.')
  .version(VERSION)
  .showHelpAfterError('(run "classbox --help" for the commands)')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('run')
  .description('run the service (what the Balena container and the systemd unit run)')
  .requiredOption('-c, --config <file>', 'YAML config file (CLASSBOX_* variables override its keys)')
  .action(async (opts: { config: string }) => {
    const config = loadRoomOrExit(opts.config);
    // NDJSON for Balena and journald; readable lines when a technician runs it in a terminal.
    const { serve } = await import('./commands/serve.js');
    await serve(config, createLogger({ level: config.log.level, pretty: process.stdout.isTTY === true }));
  });

program
  .command('central')
  .description("the centre's fleet dashboard: every room's health, faults and lessons, read from the broker (docs/central.md)")
  .option('-c, --config <file>', 'YAML config file (CLASSBOX_CENTRAL_* variables override its keys)')
  .action(async (opts: { config?: string }) => (await import('./commands/central.js')).runCentral(opts.config));

program
  .command('demo')
  .description('the demo classroom: the real gateway with an embedded MQTT broker, simulated devices and test video; no config needed')
  .action(async () => (await import('./commands/demo.js')).runDemo());

program
  .command('check')
  .description('validate a config file: prints one line per problem and exits 2, or exits 0 when it is valid')
  .requiredOption('-c, --config <file>', 'YAML config file')
  .action((opts: { config: string }) => {
    const config = loadRoomOrExit(opts.config);
    process.stdout.write(`${opts.config}: valid (${config.site}/${config.room}, role ${config.role})\n`);
  });

program
  .command('doctor')
  .description(
    'probe this machine: GStreamer, encoders and decoders, board and chosen profile, devices, broker; exit 0 healthy, 1 problems found',
  )
  .option('-c, --config <file>', 'also check what this config needs (broker, devices, disk)')
  .option('--json', 'print the report as JSON')
  .action(async (opts: { config?: string; json?: boolean }) => {
    const config = opts.config === undefined ? undefined : loadConfigOrExit(opts.config);
    const { runDoctor } = await import('./commands/doctor.js');
    process.exitCode = await runDoctor({ config, json: opts.json === true });
  });

program
  .command('pipeline')
  .description('print the exact gst-launch-1.0 line the service would build, runnable by hand')
  .requiredOption('-c, --config <file>', 'YAML config file')
  .addOption(new Option('--role <role>', "which pipeline (default: the config's role)").choices(['broadcast', 'receive', 'playback']))
  .option('--media <file-or-url>', 'with --role playback: the recorded lesson to play')
  .option('--parts', 'print each pipeline the service runs separately')
  .action(async (opts: { config: string; role?: 'broadcast' | 'receive' | 'playback'; media?: string; parts?: boolean }) => {
    const config = loadConfigOrExit(opts.config);
    const { printPipeline } = await import('./commands/pipeline.js');
    await printPipeline(config, opts);
  });

program
  .command('ptz')
  .description('drive a PTZ camera straight over its line: ptz CAMERA recall|save N, move DIR [SPEED], stop, home, status')
  .argument('<camera>', 'camera name from devices.cameras')
  .argument('<action>', 'recall | save | move | stop | home | status')
  .argument(
    '[args...]',
    'preset number or name; or direction (up, down, left, right, upleft, upright, downleft, downright) and speed 1-100',
  )
  .requiredOption('-c, --config <file>', 'YAML config file')
  .option('--duration <ms>', 'move: how long to move before the stop', '1000')
  .action(async (camera: string, action: string, args: string[], opts: { config: string; duration: string }) => {
    const config = loadConfigOrExit(opts.config);
    const durationMs = Number(opts.duration);
    if (!Number.isInteger(durationMs) || durationMs < 50 || durationMs > 30_000) {
      process.stderr.write('classbox ptz: --duration is 50-30000 ms\n');
      process.exit(EXIT_USAGE);
    }
    const { ptzCommand } = await import('./commands/device-cli.js');
    process.exitCode = await ptzCommand(config, camera, action, args, { durationMs });
  });

program
  .command('projector')
  .description('drive a projector: projector NAME power on|off, projector NAME input IN, projector NAME status')
  .argument('<name>', 'projector name from devices.projectors')
  .argument('<action>', 'power | input | status')
  .argument('[args...]', 'on | off, or an input name or code')
  .requiredOption('-c, --config <file>', 'YAML config file')
  .option('--wait', 'wait through warm-up or cool-down instead of answering busy')
  .action(async (name: string, action: string, args: string[], opts: { config: string; wait?: boolean }) => {
    const config = loadConfigOrExit(opts.config);
    const { projectorCommand } = await import('./commands/device-cli.js');
    process.exitCode = await projectorCommand(config, name, action, args, { wait: opts.wait === true });
  });

program
  .command('simulate')
  .description(`run a device simulator for bench work and training (${SIMULATORS.join(', ')}); prints the port to configure`)
  .argument('<device>', SIMULATORS.join(' | '))
  .option('--link <path>', 'serial devices: where to make the gateway end of the pty (default ./classbox-<device>)')
  .option(
    '--tcp-port <port>',
    'pjlink: TCP port to listen on (4352); visca-ip: UDP port (52381); serial devices: serve on this TCP port instead of a pty',
  )
  .option('--udp-port <port>', 'serial devices: serve in UDP datagrams on this port instead of a pty (raw VISCA over UDP)')
  .option('--password <password>', 'pjlink: require this password')
  .option('--cameras <n>', 'visca: cameras daisy-chained on the line', '1')
  .option('--warm-up <s>', 'projectors: warm-up and cool-down time', '5')
  .action(
    async (
      device: string,
      opts: { link?: string; tcpPort?: string; udpPort?: string; password?: string; cameras: string; warmUp: string },
    ) => {
      const port = (flag: string, value: string | undefined): number | undefined => {
        const n = value === undefined ? undefined : Number(value);
        if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 65535)) {
          process.stderr.write(`classbox simulate: ${flag} is 0-65535\n`);
          process.exit(EXIT_USAGE);
        }
        return n;
      };
      const tcpPort = port('--tcp-port', opts.tcpPort);
      const udpPort = port('--udp-port', opts.udpPort);
      await simulate(device, {
        ...(opts.link ? { link: opts.link } : {}),
        ...(tcpPort !== undefined ? { tcpPort } : {}),
        ...(udpPort !== undefined ? { udpPort } : {}),
        ...(opts.password ? { password: opts.password } : {}),
        cameras: Math.min(7, Math.max(1, Number(opts.cameras) || 1)),
        warmUpS: Math.max(0, Number(opts.warmUp) || 0),
      });
    },
  );

program
  .command('discover')
  .description('find the PJLink class 2 projectors on the network and print the config lines for them')
  .option('--target <address...>', 'where to search: a broadcast address or hosts', ['255.255.255.255'])
  .option('--port <port>', 'PJLink port (UDP search and TCP details)', '4352')
  .option('--listen <s>', 'seconds to wait for answers', '3')
  .option('--json', 'JSON output')
  .action(async (opts: { target: string[]; port: string; listen: string; json?: boolean }) => {
    const port = Number(opts.port);
    const listenS = Number(opts.listen);
    if (!Number.isInteger(port) || port < 1 || port > 65535 || !(listenS > 0 && listenS <= 60)) {
      process.stderr.write('classbox discover: --port is 1-65535 and --listen 0-60 seconds\n');
      process.exit(EXIT_USAGE);
    }
    const { discover } = await import('./commands/discover.js');
    await discover({ targets: opts.target, port, listenS, json: opts.json === true });
  });

program
  .command('schema')
  .description('print the config JSON Schema (for editors; the repository keeps it as classbox.schema.json)')
  .action(() => {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
    process.exit(ok ? 0 : EXIT_USAGE);
  }
  process.stderr.write(`classbox: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
