import type { VariableDto } from '../../daemon/protocol/variables';

/** Kept out of the tree file so it tests without `vscode`. Secrets never show their value. */
export function variableDescription(variable: VariableDto, maxLength = 60): string {
  if (variable.secret) return '••••••';
  const text = typeof variable.value === 'string' ? variable.value : JSON.stringify(variable.value);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
