import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveHome } from '../client/homeLayout';
import { connectOrStart } from '../client/launcher';
import type { JobDto, LogLineDto } from '../protocol/dto';
import { RunJobRequest } from '../protocol/jobs';
import { cliLaunch } from './context';
import { followJob } from './followJob';
import { formatDuration, table } from './format';

const EXAMPLES = join(__dirname, '..', 'examples');
const color = process.stdout.isTTY ? (code: number, s: string) => `\x1b[${code}m${s}\x1b[0m` : (_: number, s: string) => s;
const STATUS_COLOR: Record<string, number> = { succeeded: 32, failed: 31, timed_out: 33, cancelled: 33 };

/** `npm run demo`: runs every script in examples/ as a job through the real daemon, then sums up. */
async function demo(): Promise<void> {
  const home = resolveHome();
  const client = await connectOrStart({
    home,
    clientName: 'cronium-demo',
    ...cliLaunch(),
    onStart: () => console.log(`Starting the Cronium daemon (home ${home}, SQLite at ${join(home, 'cronium.db')})…`),
  });
  console.log(`Connected to the Cronium daemon, pid ${client.info.pid}.\n`);
  const finished: JobDto[] = [];
  for (const file of readdirSync(EXAMPLES).sort()) {
    const path = join(EXAMPLES, file);
    const { job } = await client.request(RunJobRequest, {
      content: readFileSync(path, 'utf8'),
      fileName: path,
      target: 'local',
      cwd: EXAMPLES,
    });
    console.log(color(1, `▶ ${file}`) + color(2, `  ${job.runtime} · ${job.id}`));
    const final = await followJob(client, job.id, (lines: LogLineDto[]) => {
      for (const line of lines) {
        const text = line.stream === 'stderr' ? color(31, `  stderr │ ${line.text}`) : `  stdout │ ${line.text}`;
        console.log(text);
      }
    });
    const status = color(STATUS_COLOR[final.status] ?? 0, final.status);
    console.log(`  └ ${status} (exit ${final.exitCode ?? '-'}) in ${formatDuration(final.durationMs)}\n`);
    finished.push(final);
  }
  client.close();
  console.log(color(1, 'Summary'));
  console.log(
    table(
      ['JOB', 'SCRIPT', 'RUNTIME', 'STATUS', 'EXIT', 'DURATION', 'LINES'],
      finished.map((j) => [
        j.id,
        j.name,
        j.runtime,
        j.status,
        j.exitCode === null ? '-' : String(j.exitCode),
        formatDuration(j.durationMs),
        String(j.logLines),
      ]),
    ),
  );
  const failed = finished.filter((j) => j.status !== 'succeeded').length;
  console.log(`\n${finished.length} jobs, ${finished.length - failed} succeeded, ${failed} failed (the failing one is on purpose).`);
  console.log('The daemon keeps running in the background. Try:');
  console.log('  npx cronium jobs                  list these jobs');
  console.log(`  npx cronium logs ${finished[0]?.id ?? 'JOB_ID'}  print a job's output again`);
  console.log('  npx cronium run examples/1-hello.sh  run a script yourself');
  console.log('  npx cronium daemon stop           stop the daemon');
}

demo().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
