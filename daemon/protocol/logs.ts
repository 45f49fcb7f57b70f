import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { LogLineDto } from './dto';
import type { ErrorData } from './errors';

/** Params of {@link ReadLogsRequest}. */
export interface ReadLogsParams {
  jobId: string;
  /** One execution of the job; default its latest (the last retry). */
  executionId?: string;
  /** Return lines with a sequence number greater than this; default 0. */
  afterSeq?: number;
  /** At most this many lines; default 1000, at most 10000. */
  limit?: number;
}

/** Result of {@link ReadLogsRequest}. */
export interface ReadLogsResult {
  lines: LogLineDto[];
  /** Sequence number to pass as `afterSeq` for the next page. */
  nextSeq: number;
  /** True when no stored line follows this page. */
  atEnd: boolean;
}

/** A page of a job's stored log lines, in sequence order. */
export const ReadLogsRequest = new RequestType<ReadLogsParams, ReadLogsResult, ErrorData>('logs/read');

/** Params of {@link SubscribeLogsRequest}. */
export interface SubscribeLogsParams {
  jobId: string;
  /** One execution of the job; default its latest (the last retry). */
  executionId?: string;
  /** Replay stored lines after this sequence number first; default: only new lines. */
  afterSeq?: number;
}

/**
 * Streams a job's lines to this connection as {@link LogsAppendedNotification}, in order and without
 * gaps, then one {@link LogsEndedNotification} once the job has finished and every line was sent.
 * A client that reads slowly is caught up from the store; nothing is dropped.
 */
export const SubscribeLogsRequest = new RequestType<SubscribeLogsParams, void, ErrorData>('logs/subscribe');

/** Stops a subscription made with {@link SubscribeLogsRequest}. */
export const UnsubscribeLogsRequest = new RequestType<{ jobId: string }, void, ErrorData>('logs/unsubscribe');

/** New lines of a subscribed job's execution. */
export const LogsAppendedNotification = new NotificationType<{ jobId: string; executionId: string; lines: LogLineDto[] }>(
  'logs/didAppend',
);

/** The subscribed execution finished and `lastSeq` was its last line; the subscription is over. */
export const LogsEndedNotification = new NotificationType<{ jobId: string; executionId: string; lastSeq: number }>('logs/didEnd');
