/** The execution the killed writer stores for a job: the job's random part under `exe_`. */
export function executionIdOf(jobId: string): string {
  return `exe_${jobId.slice(4)}`;
}
