import { coerceError } from '../daemon/errors';
import { benchConcurrentContainerJobs, benchContainerJob } from './containerJob';
import { verdict, type BenchOptions, type BenchReport } from './result';

const CONCURRENT = 20;

/** Container jobs (DESIGN §4): one trivial job against a bare `docker run`, and 20 at once with nothing leaked. */
export async function benchContainer(options: BenchOptions): Promise<BenchReport> {
  const iterations = options.quick ? 4 : 10;
  let single: Awaited<ReturnType<typeof benchContainerJob>>;
  try {
    single = await benchContainerJob({ iterations, log: options.log });
  } catch (e) {
    const reason = coerceError(e).message;
    return {
      name: 'container',
      rows: [
        { benchmark: 'container job', measured: { value: 0, unit: 'ms' }, baseline: null, comparison: null, target: '≤ 1.3x', verdict: 'info', note: `not measured: ${reason}` },
      ],
      details: { skipped: reason },
    };
  }
  options.log(`container: ${CONCURRENT} concurrent jobs`);
  const concurrent = await benchConcurrentContainerJobs(CONCURRENT);
  return {
    name: 'container',
    rows: [
      {
        benchmark: 'trivial container job (sidecar, network)',
        measured: { value: single.median, unit: 'ms' },
        baseline: { value: single.rawMedian, unit: 'ms' },
        comparison: { value: single.ratio, unit: 'x' },
        target: '≤ 1.3x docker run',
        verdict: verdict(single.ratio <= 1.3),
        note: `warm slot (setting warmContainers); raw = docker run --rm --network none cronium/bash bash -c true; n=${iterations}, alternating`,
      },
      {
        benchmark: 'cold container job (no warm slot)',
        measured: { value: single.coldMedian, unit: 'ms' },
        baseline: { value: single.rawMedian, unit: 'ms' },
        comparison: { value: single.coldRatio, unit: 'x' },
        target: '(info)',
        verdict: 'info',
        note: 'network, relay and job container made for the job, e.g. the first job of a runtime or non-default limits',
      },
      {
        benchmark: `${CONCURRENT} concurrent container jobs`,
        measured: { value: concurrent.wallMs, unit: 'ms' },
        baseline: null,
        comparison: null,
        target: 'all succeed, nothing leaked',
        verdict: verdict(concurrent.failed === 0 && concurrent.leftovers === 0),
        note: `${concurrent.failed} failed, ${concurrent.leftovers} containers/networks left behind`,
      },
    ],
    details: { single, concurrent },
  };
}
