import { RequestType } from 'vscode-jsonrpc';
import type { ErrorData } from './errors';

/** A variable shared by jobs (`cronium.getVariable` / `setVariable`). */
export interface VariableDto {
  key: string;
  /** Any JSON value; `"***"` for a secret unless revealed. */
  value: unknown;
  secret: boolean;
  description: string | null;
  updatedAt: string;
}

/** All variables, secrets masked. */
export const ListVariablesRequest = new RequestType<Record<string, never>, { variables: VariableDto[] }, ErrorData>(
  'variables/list',
);

/** One variable; `reveal: true` returns a secret's value. Fails with `VariableNotFound`. */
export const GetVariableRequest = new RequestType<{ key: string; reveal?: boolean }, VariableDto, ErrorData>('variables/get');

/** Params of {@link SetVariableRequest}. */
export interface SetVariableParams {
  key: string;
  value: unknown;
  /** Encrypt at rest and mask in logs. Default: keep the variable's current kind (new ones: not secret). */
  secret?: boolean;
  description?: string;
}

/** Creates or changes a variable; the result is masked if secret. */
export const SetVariableRequest = new RequestType<SetVariableParams, VariableDto, ErrorData>('variables/set');

/** Deletes a variable. Fails with `VariableNotFound`. */
export const DeleteVariableRequest = new RequestType<{ key: string }, void, ErrorData>('variables/delete');
