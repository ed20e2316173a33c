import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { authDigest } from '../protocols/pjlink/codec.js';
import { LineFramer } from '../protocols/line-framer.js';
import { SEARCH, searchAnswer } from '../protocols/pjlink/search.js';
import { ProjectorModel, type ProjectorModelOptions } from './projector-model.js';

export interface PjlinkSimOptions extends ProjectorModelOptions {
  password?: string;
  name?: string;
  /** Answer nothing at all after the greeting (a hung network stack). */
  silent?: boolean;
  /** Class 2: the MAC address it answers a search with. */
  mac?: string;
}

const POWR: Record<string, string> = { standby: '0', on: '1', cooling: '2', warming: '3' };

/**
 * A PJLink class 1 projector on TCP: greeting with or without MD5 authentication, POWR/INPT/AVMT/
 * ERST/LAMP/INST/NAME/INF1/INF2/INFO/CLSS, ERR3 while warming up or cooling down.
 */
export class PjlinkProjectorSim {
  readonly model: ProjectorModel;
  private server: Server | undefined;
  private search: UdpSocket | undefined;
  private readonly sockets = new Set<Socket>();
  /** Every command line received, in order (after authentication). */
  readonly commands: string[] = [];
  port = 0;
  mute = '30';
  failedAuth = 0;

  constructor(readonly options: PjlinkSimOptions = {}) {
    this.model = new ProjectorModel(options);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Class 2 search on UDP (the same port as the TCP one, 4352 on a real projector): answers with its MAC. */
  async listenSearch(port = this.port, host = '127.0.0.1'): Promise<void> {
    const socket = createSocket('udp4');
    this.search = socket;
    socket.on('message', (msg, from) => {
      if (msg.equals(SEARCH) && !this.options.silent)
        socket.send(searchAnswer(this.options.mac ?? '00:11:22:33:44:55'), from.port, from.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    const search = this.search;
    this.search = undefined;
    if (search) await new Promise<void>((r) => search.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const framer = new LineFramer('\r');
    const random = randomBytes(4).toString('hex');
    const password = this.options.password;
    let authed = password === undefined;
    socket.write(password === undefined ? 'PJLINK 0\r' : `PJLINK 1 ${random}\r`);
    socket.on('data', (chunk) => {
      for (let line of framer.push(chunk)) {
        if (this.options.silent) continue;
        if (!authed) {
          const digest = line.slice(0, 32);
          if (digest !== authDigest(random, password!)) {
            this.failedAuth++;
            socket.end('PJLINK ERRA\r');
            return;
          }
          authed = true;
          line = line.slice(32);
        }
        this.commands.push(line);
        socket.write(`${this.answer(line)}\r`);
      }
    });
  }

  private answer(line: string): string {
    const m = /^%1([A-Z0-9]{4}) (.*)$/.exec(line);
    if (!m) return '%1ERR1';
    const [, cmd, param] = m as unknown as [string, string, string];
    const ok = (v: string) => `%1${cmd}=${v}`;
    const model = this.model;
    const state = model.state();
    switch (cmd) {
      case 'POWR':
        if (param === '?') return ok(POWR[state]!);
        if (param !== '0' && param !== '1') return ok('ERR2');
        return ok(model.power(param === '1') ? 'OK' : 'ERR3');
      case 'INPT':
        if (param === '?') return ok(state === 'on' ? model.input : 'ERR3');
        if (!/^[1-5][1-9]$/.test(param)) return ok('ERR2');
        if (state !== 'on') return ok('ERR3');
        model.input = param;
        return ok('OK');
      case 'AVMT':
        if (param === '?') return ok(this.mute);
        if (!/^[123][01]$/.test(param)) return ok('ERR2');
        this.mute = param;
        return ok('OK');
      case 'ERST':
        return ok(model.lampFailed ? '020000' : '000000');
      case 'LAMP':
        return ok(`${model.lampHours()} ${state === 'on' ? 1 : 0}`);
      case 'INST':
        return ok('11 12 31 32 51');
      case 'NAME':
        return ok(this.options.name ?? 'classbox-sim');
      case 'INF1':
        return ok('classbox');
      case 'INF2':
        return ok('PJLink simulator');
      case 'INFO':
        return ok('');
      case 'CLSS':
        return ok(this.options.mac ? '2' : '1');
      default:
        return ok('ERR1');
    }
  }
}
