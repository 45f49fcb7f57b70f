// One contender in the instance-lock race test. Run as
//   node --require tsx/cjs lockRaceWorker.ts DIR START_MS ROUNDS daemon.js
// (the last argument makes this process's command line look like a daemon's to the lock).
// For each round it waits for the round's shared start instant, takes DIR/ROUND.pid and keeps it,
// then prints one JSON array: whether it got each lock.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { acquireInstanceLock } from '../../daemon/instanceLock';

const [dir, startMs, rounds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const now = () => performance.timeOrigin + performance.now();
const got: boolean[] = [];
for (let round = 0; round < rounds; round++) {
  const at = startMs + round * 3;
  while (now() < at) {
    // spin: both contenders leave this loop within microseconds of each other
  }
  got.push(acquireInstanceLock(join(dir, `${round}.pid`)).acquired);
}
process.stdout.write(JSON.stringify(got));
