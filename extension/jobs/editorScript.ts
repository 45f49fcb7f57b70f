import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { RunJobParams } from '../../daemon/protocol/jobs';
import { UserError } from '../errors';
import { runtimeForLanguage } from './jobFormat';

/**
 * The job an editor's text (saved or not) makes: script, runtime, name, file name and working folder.
 * `purpose` ends the message shown when there is no editor ("run it as a job").
 */
export function editorScript(editor: vscode.TextEditor | undefined, purpose: string): RunJobParams {
  if (!editor) throw new UserError(`Open a Bash, Python or JavaScript file to ${purpose}.`);
  const doc = editor.document;
  const runtime = runtimeForLanguage(doc.languageId);
  if (!runtime) throw new UserError(`Cronium runs Bash, Python and JavaScript; this editor is ${doc.languageId}.`);
  const fileName = doc.isUntitled ? undefined : basename(doc.fileName);
  return {
    content: doc.getText(),
    runtime,
    name: fileName ?? doc.uri.path,
    ...(fileName ? { fileName } : {}),
    ...(doc.isUntitled ? {} : { cwd: vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath }),
  };
}
