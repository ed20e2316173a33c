/**
 * Runs tasks one after another, each starting when the one before has settled (succeeded or failed):
 * one conversation at a time with a device that takes one command at a time.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
