import type { WorkflowIssue } from '../../daemon/protocol/workflows';
import type { BuilderProblem } from '../../webviews/protocol/builder';

/** Issues about an edge between `nodes[0]` and `nodes[1]` (or a self-loop of `nodes[0]`). */
const EDGE_CODES = new Set<WorkflowIssue['code']>(['duplicate_edge', 'condition_never_set', 'self_loop']);

/**
 * The engine's issues as the builder shows them: on the edge an edge issue is about, on every node and
 * edge of a cycle, on each node an issue names, and on the whole file when it names none.
 */
export function toBuilderProblems(issues: readonly WorkflowIssue[]): BuilderProblem[] {
  const problems: BuilderProblem[] = [];
  for (const issue of issues) {
    const base = { severity: issue.severity, message: issue.message };
    if (EDGE_CODES.has(issue.code) && issue.nodes.length > 0) {
      const [from, to = from] = issue.nodes;
      problems.push({ ...base, edgeId: `${from}->${to}` });
    } else if (issue.code === 'cycle') {
      issue.nodes.forEach((id, i) => {
        problems.push({ ...base, nodeId: id });
        problems.push({ ...base, edgeId: `${id}->${issue.nodes[(i + 1) % issue.nodes.length]}` });
      });
    } else if (issue.nodes.length > 0) {
      for (const id of issue.nodes) problems.push({ ...base, nodeId: id });
    } else {
      problems.push(base);
    }
  }
  return problems;
}

/** Where in the file's text a node is defined (its `"id": "…"`), as a line and column, for diagnostics. */
export function nodeLocation(text: string, nodeId: string): { line: number; column: number; length: number } | undefined {
  const pattern = new RegExp(`"id"\\s*:\\s*${JSON.stringify(nodeId).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  const match = pattern.exec(text);
  if (match === null) return undefined;
  const before = text.slice(0, match.index);
  const line = before.split('\n').length - 1;
  return { line, column: match.index - (before.lastIndexOf('\n') + 1), length: match[0].length };
}
