// Child-process entry: measures one GroupJob so that its peak memory and any crash stay its own.
import type { GroupOutcome, MeasureProgress } from './measure.js';
import { errorMessage } from './measure.js';
import { type GroupJob, runGroup } from './node-group.js';

export type WorkerMessage =
  | { type: 'progress'; event: MeasureProgress }
  | { type: 'done'; outcome: GroupOutcome }
  | { type: 'error'; message: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );
}

process.once('message', async (job: GroupJob) => {
  try {
    const outcome = await runGroup(job, (event) => void send({ type: 'progress', event }));
    await send({ type: 'done', outcome });
  } catch (error) {
    await send({ type: 'error', message: errorMessage(error) });
  }
  process.exit(0);
});
