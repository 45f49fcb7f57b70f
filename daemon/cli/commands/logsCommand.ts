import type { Command } from 'commander';
import type { LogLineDto } from '../../protocol/dto';
import { GetJobRequest } from '../../protocol/jobs';
import { ReadLogsRequest } from '../../protocol/logs';
import { printJson, type CliContext } from '../context';
import { followJob, lineBytes } from '../followJob';

export function registerLogsCommand(program: Command, context: () => CliContext): void {
  program
    .command('logs')
    .description("print a job's output (stdout lines to stdout, stderr lines to stderr)")
    .argument('<id>', 'job id')
    .option('-f, --follow', 'keep printing new lines until the job ends')
    .option('--json', 'print one JSON document with every line (after the job ends, with --follow)')
    .action(async (id: string, options: { follow?: boolean; json?: boolean }) => {
      const client = await context().client();
      const collected: LogLineDto[] = [];
      const sink = options.json
        ? (lines: LogLineDto[]) => void collected.push(...lines)
        : (lines: LogLineDto[]) => {
            for (const line of lines) (line.stream === 'stdout' ? process.stdout : process.stderr).write(lineBytes(line));
          };
      if (options.follow) {
        await followJob(client, id, sink);
      } else {
        await client.request(GetJobRequest, { id }); // a clear error for an unknown id
        let afterSeq = 0;
        for (;;) {
          const page = await client.request(ReadLogsRequest, { jobId: id, afterSeq, limit: 5000 });
          sink(page.lines);
          afterSeq = page.nextSeq;
          if (page.atEnd) break;
        }
      }
      client.close();
      if (options.json) printJson({ jobId: id, lines: collected });
    });
}
