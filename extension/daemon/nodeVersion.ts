/** The oldest Node.js major the daemon (better-sqlite3 12) runs on. */
export const MIN_NODE_MAJOR = 20;

/** Parses `v20.11.1` (the output of `node -v`) into its major version; undefined for anything else. */
export function parseNodeMajor(output: string): number | undefined {
  const match = /^v(\d+)\.\d+\.\d+/.exec(output.trim());
  return match ? Number(match[1]) : undefined;
}

/** Why a candidate Node binary was refused, in words the user can act on. */
export function describeNodeProblem(command: string, output: string | undefined): string {
  if (output === undefined) return `${command} could not be run`;
  const major = parseNodeMajor(output);
  if (major === undefined) return `${command} is not Node.js (it printed "${output.trim().slice(0, 40)}")`;
  return `${command} is Node.js ${output.trim()}; Cronium needs ${MIN_NODE_MAJOR} or newer`;
}
