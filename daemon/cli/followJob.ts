import type { JobDto, LogLineDto } from '../protocol/dto';
import { GetJobRequest } from '../protocol/jobs';
import { SubscribeLogsRequest } from '../protocol/logs';
import type { DaemonClient } from '../client/daemonClient';
import { DaemonNotRunningError } from '../client/errors';

/**
 * Receives every line of a job, from its first, until it has finished and its last line arrived;
 * resolves with the final job record.
 */
export async function followJob(
  client: DaemonClient,
  jobId: string,
  onLines: (lines: LogLineDto[]) => void,
  afterSeq = 0,
  /** One execution of the job (a server of a multi-server job); default its latest. */
  executionId?: string,
): Promise<JobDto> {
  const ended = new Promise<void>((resolve, reject) => {
    client.listen(jobId, { lines: onLines, end: () => resolve() });
    // A daemon that dies while the job runs never sends the end: say so instead of waiting for ever.
    void client.closed.then(() => reject(new DaemonNotRunningError(client.home, true)));
  });
  void ended.catch(() => undefined); // handled below; and not an unhandled rejection when subscribing fails
  await client.request(SubscribeLogsRequest, { jobId, afterSeq, ...(executionId === undefined ? {} : { executionId }) });
  await ended;
  client.unlisten(jobId);
  return client.request(GetJobRequest, { id: jobId });
}

/** The bytes of a line as the script printed them, with its newline unless it was cut. */
export function lineBytes(line: LogLineDto): Buffer | string {
  const body = line.raw !== undefined ? Buffer.from(line.raw, 'base64') : line.text;
  if (line.partial) return body;
  return typeof body === 'string' ? `${body}\n` : Buffer.concat([body, Buffer.from('\n')]);
}
