import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { ContainerExecutor, defaultImages } from '../daemon/executors/container/containerExecutor';
import { listDaemonResources } from '../daemon/executors/container/containerRecovery';
import { dockerFromEnv } from '../daemon/executors/container/dockerHost';
import { silentLogger } from '../daemon/executors/container/executorLogger';
import { removeContainer, removeNetwork } from '../daemon/executors/container/jobCleanup';
import type { RuntimeRequestHandler } from '../daemon/runtimeApi/types';
import { median } from './stats';

/** What the container benchmark reports: medians in ms, and job/raw. */
export interface ContainerJobBench {
  median: number;
  rawMedian: number;
  ratio: number;
  /** A job that cannot take a warm slot (other limits): network, relay and container made for it. */
  coldMedian: number;
  coldRatio: number;
  samples: { job: number[]; raw: number[]; cold: number[] };
}

const WARMUP = 2;

/**
 * Wall time of a trivial Bash job through the container executor, start() until `done` (the job container
 * removed), as the daemon runs it: in a warm slot made after the previous job. Against `docker run --rm
 * --network none cronium/bash bash -c true`, the same work with nothing of ours around it. Each is timed on
 * a quiet engine: after a job, its background work (sidecar and network removal, the next warm slot) ends
 * before the next measurement. A cold job (limits no warm slot fits: network, relay and container made for
 * it) is timed too, for information.
 */
export async function benchContainerJob(opts: { iterations: number; log?: (message: string) => void }): Promise<ContainerJobBench> {
  const daemonId = `bench-${process.pid}-${Date.now()}`;
  const images = defaultImages();
  const docker = dockerFromEnv();
  // As the daemon runs it by default (setting warmContainers): a warm slot per runtime, refilled after each job.
  const executor = new ContainerExecutor({ docker, images, runtimeApi: answerOk, daemonId, warmSlots: () => true });
  const state = await executor.available();
  if (!state.ok) throw new Error(state.reason);
  const log = opts.log ?? (() => undefined);
  let n = 0;
  const job = async (cold = false): Promise<number> => {
    const started = performance.now();
    const execution = executor.start(
      {
        ...ids(`bench${String(n++).padStart(6, '0')}`),
        options: null,
        runtime: 'bash',
        script: 'true\n',
        scriptName: null,
        env: {},
        cwd: '/tmp',
        // One pid more than the default: no warm slot fits it.
        ...(cold ? { options: { memoryBytes: 512 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 101, network: false } } : {}),
      },
      { onStarted: () => undefined, onOutput: () => undefined },
    );
    const result = await execution.done;
    const elapsed = performance.now() - started;
    // What the job left to do in the background (sidecar and network removal, the next warm slot) must
    // not slow down the raw run that follows: wait until the engine is quiet again.
    await executor.settled();
    if (result.exitCode !== 0) throw new Error(`trivial container job ended ${result.spawnError?.message ?? `with ${result.exitCode}`}`);
    return elapsed;
  };
  const raw = () => rawDockerRun(images('bash'));
  try {
    log(`container job: ${WARMUP} warm-up + ${opts.iterations} alternating executor/raw iterations`);
    for (let i = 0; i < WARMUP; i++) {
      await job();
      await raw();
    }
    const jobMs: number[] = [];
    const rawMs: number[] = [];
    const coldMs: number[] = [];
    for (let i = 0; i < opts.iterations; i++) {
      coldMs.push(await job(true));
      // Alternate which goes first so neither always runs right after the other's cleanup.
      if (i % 2 === 0) {
        jobMs.push(await job());
        rawMs.push(await raw());
      } else {
        rawMs.push(await raw());
        jobMs.push(await job());
      }
    }
    const result = {
      median: median(jobMs),
      rawMedian: median(rawMs),
      ratio: median(jobMs) / median(rawMs),
      coldMedian: median(coldMs),
      coldRatio: median(coldMs) / median(rawMs),
    };
    log(
      `container job: median ${result.median.toFixed(0)} ms (cold ${result.coldMedian.toFixed(0)} ms), ` +
        `raw docker run ${result.rawMedian.toFixed(0)} ms, ${result.ratio.toFixed(2)}x`,
    );
    return { ...result, samples: { job: jobMs, raw: rawMs, cold: coldMs } };
  } finally {
    await executor.close();
    await removeLeftovers(docker, daemonId);
  }
}

const answerOk: RuntimeRequestHandler = async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' });

function rawDockerRun(image: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile('docker', ['run', '--rm', '--network', 'none', image, 'bash', '-c', 'true'], (error) => {
      if (error) reject(new Error(`raw docker run failed: ${error.message}`));
      else resolve(performance.now() - started);
    });
  });
}

/** A failed iteration must not leave containers behind on the machine. */
async function removeLeftovers(docker: Dockerode, daemonId: string): Promise<void> {
  const { containers, networks } = await listDaemonResources(docker, daemonId);
  await Promise.all(containers.map((c) => removeContainer(docker, c.Id, silentLogger)));
  await Promise.all(networks.map((n) => removeNetwork(docker, n.Id, silentLogger)));
}

/** `count` trivial container jobs started at once: wall time, failures, and what was left on the engine. */
export async function benchConcurrentContainerJobs(count: number): Promise<{ wallMs: number; failed: number; leftovers: number }> {
  const daemonId = `bench-conc-${process.pid}-${Date.now()}`;
  const docker = dockerFromEnv();
  const executor = new ContainerExecutor({ docker, images: defaultImages(), runtimeApi: answerOk, daemonId, warmSlots: () => true });
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      executor.start(
        { ...ids(`conc${String(i).padStart(8, '0')}`), options: null, runtime: 'bash', script: 'echo ok\n', scriptName: null, env: {}, cwd: '/tmp' },
        { onStarted: () => undefined, onOutput: () => undefined },
      ).done,
    ),
  );
  const wallMs = performance.now() - started;
  // Leftovers are counted as the daemon leaves the engine when it stops: warm slots and cleanups done.
  await executor.close();
  const { containers, networks } = await listDaemonResources(docker, daemonId);
  await removeLeftovers(docker, daemonId);
  return { wallMs, failed: results.filter((r) => r.exitCode !== 0).length, leftovers: containers.length + networks.length };
}

/** The ids a daemon would give a benchmark execution and its job. */
function ids(suffix: string): { executionId: string; jobId: string } {
  return { executionId: `exe_${suffix}`, jobId: `job_${suffix}` };
}
