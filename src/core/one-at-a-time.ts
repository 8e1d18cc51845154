/** Runs the tasks given to it one at a time, in call order. */
export type Serialiser = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * A fresh queue: each task starts once every earlier one has settled (a failure does not stop the queue;
 * the caller of that task gets it). Pure: holds only the tail promise.
 */
export function oneAtATime(): Serialiser {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
