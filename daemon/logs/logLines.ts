import type { LogLineDto, LogStream } from '../protocol/dto';
import type { StoredLine, StreamCode } from '../store/logStore';

export function streamCode(stream: LogStream): StreamCode {
  return stream === 'stdout' ? 1 : 2;
}

/** A stored line as clients receive it: text always, the exact bytes too when they are not UTF-8. */
export function toLogLineDto(line: StoredLine): LogLineDto {
  const stream: LogStream = line.stream === 1 ? 'stdout' : 'stderr';
  const dto: LogLineDto =
    typeof line.data === 'string'
      ? { seq: line.seq, stream, ts: line.ts, text: line.data }
      : { seq: line.seq, stream, ts: line.ts, text: line.data.toString('utf8'), raw: line.data.toString('base64') };
  if (line.partial) dto.partial = true;
  return dto;
}
