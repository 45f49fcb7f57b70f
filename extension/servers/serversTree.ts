import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import {
  AddServerRequest,
  ListServersRequest,
  RemoveServerRequest,
  TestServerRequest,
  TrustServerRequest,
  type AddServerParams,
  type ServerDto,
  type ServerFields,
} from '../../daemon/protocol/servers';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { UserError } from '../errors';

/** `user@host:port · online · 12 ms`, and what is wrong when something is. */
export function serverDescription(server: ServerDto): string {
  const login = `${server.username}@${server.host}${server.port === 22 ? '' : `:${server.port}`}`;
  if (server.hostKey === null) return `${login} · host key not trusted`;
  const h = server.health;
  const parts = [login, h.state];
  if (h.circuit !== 'closed') parts.push(`circuit ${h.circuit.replace('_', '-')}`);
  if (h.latencyMs !== null) parts.push(`${h.latencyMs} ms`);
  return parts.join(' · ');
}

export class ServerItem extends vscode.TreeItem {
  constructor(readonly server: ServerDto) {
    super(server.name, vscode.TreeItemCollapsibleState.None);
    this.id = server.id;
    this.description = serverDescription(server);
    const key = server.hostKey === null ? 'Host key not trusted yet' : `Host key ${server.hostKey.type} ${server.hostKey.fingerprint}`;
    const last = server.health.lastCheckAt === null ? 'never checked' : `last check ${server.health.lastCheckAt}`;
    this.tooltip = [key, `Auth: ${server.auth}${server.jump ? `, through ${server.jump}` : ''}`, `Circuit: ${server.health.circuit}`, last, server.health.lastError ?? '']
      .filter(Boolean)
      .join('\n');
    const icon = server.hostKey === null ? 'unverified' : server.health.circuit !== 'closed' || server.health.state === 'offline' ? 'error' : 'server';
    this.iconPath = new vscode.ThemeIcon(icon);
    this.contextValue = `server ${server.hostKey === null ? 'untrusted' : 'trusted'}`;
  }
}

/**
 * The Servers view: SSH servers with their state, circuit, last check and latency, and what to do with
 * them (add, test, trust after showing the fingerprint, remove). Secrets go to the daemon once, typed in
 * password boxes or read from the key file, and never come back.
 */
export class ServersModel implements vscode.TreeDataProvider<ServerItem>, vscode.Disposable {
  private servers: ServerDto[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(private readonly daemon: DaemonConnection) {
    daemon.onSession(() => this.refresh());
  }

  get all(): readonly ServerDto[] {
    return this.servers;
  }

  async refresh(): Promise<void> {
    const client = this.daemon.current;
    this.servers = client ? (await client.request(ListServersRequest, {})).servers : [];
    this.changeEmitter.fire();
  }

  getTreeItem(item: ServerItem): ServerItem {
    return item;
  }

  getChildren(): ServerItem[] {
    return this.servers.map((s) => new ServerItem(s));
  }

  /**
   * Walks through name, host, port, user and login; then offers to trust the key the server shows.
   * `preset` (tests, other extensions) gives the answers instead, and `trustFingerprint` the key to trust.
   */
  async add(preset?: AddServerParams & { trustFingerprint?: string }): Promise<ServerDto | undefined> {
    if (preset !== undefined) {
      const { trustFingerprint, ...params } = preset;
      const client = await this.daemon.require();
      let { server } = await client.request(AddServerRequest, params);
      if (trustFingerprint !== undefined) ({ server } = await client.request(TrustServerRequest, { server: server.id, fingerprint: trustFingerprint }));
      await this.refresh();
      return server;
    }
    const name = await vscode.window.showInputBox({
      title: 'Add Server (1/4)',
      prompt: 'Name, as jobs will name it',
      validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(v) ? undefined : 'Letters, digits, _ . - (starting with a letter or digit)'),
    });
    if (!name) return undefined;
    const address = await vscode.window.showInputBox({ title: 'Add Server (2/4)', prompt: 'user@host[:port]', placeHolder: 'deploy@build.example.com:22' });
    if (!address) return undefined;
    const match = /^(?:([^@\s]+)@)?([^:@\s]+)(?::(\d+))?$/.exec(address.trim());
    if (!match) throw new UserError(`${address} is not user@host[:port]`);
    const fields: ServerFields = { host: match[2], ...(match[1] ? { username: match[1] } : {}), ...(match[3] ? { port: Number(match[3]) } : {}) };
    const login = await vscode.window.showQuickPick(
      [
        { label: 'Private key file', method: 'key' as const },
        { label: 'Password', method: 'password' as const },
        { label: 'ssh-agent', method: 'agent' as const, description: process.env.SSH_AUTH_SOCK ?? "the daemon's SSH_AUTH_SOCK" },
      ],
      { title: 'Add Server (3/4): how to log in' },
    );
    if (!login) return undefined;
    if (login.method === 'key') {
      const files = await vscode.window.showOpenDialog({ title: 'Add Server (4/4): private key', canSelectMany: false });
      if (!files?.[0]) return undefined;
      fields.privateKey = readFileSync(files[0].fsPath, 'utf8');
      const passphrase = await vscode.window.showInputBox({ title: 'Passphrase of the key (empty: none)', password: true });
      if (passphrase === undefined) return undefined;
      if (passphrase !== '') fields.passphrase = passphrase;
    } else if (login.method === 'password') {
      const password = await vscode.window.showInputBox({ title: `Add Server (4/4): password of ${address}`, password: true });
      if (!password) return undefined;
      fields.password = password;
    } else if (process.env.SSH_AUTH_SOCK) {
      fields.agentSocket = process.env.SSH_AUTH_SOCK;
    }
    const client = await this.daemon.require();
    const { server } = await client.request(AddServerRequest, { name, ...fields, host: fields.host as string, auth: login.method });
    await this.refresh();
    await this.trust(server);
    return server;
  }

  /** The server of a view item, a name or an id (command arguments). */
  find(ref: string): ServerDto | undefined {
    return this.servers.find((s) => s.id === ref || s.name === ref);
  }

  /**
   * Shows the key the server presents and pins it once the user says it is the server's; with
   * `fingerprint` (tests), pins it without asking when the server shows that key.
   */
  async trust(server: ServerDto, fingerprint?: string): Promise<boolean> {
    if (fingerprint !== undefined) {
      const client = await this.daemon.require();
      await client.request(TrustServerRequest, { server: server.id, fingerprint }, { timeoutMs: 'unbounded' });
      await this.refresh();
      return true;
    }
    const client = await this.daemon.require();
    const test = await client.request(TestServerRequest, { server: server.id }, { timeoutMs: 'unbounded' });
    const key = test.hostKey;
    if (key === null) throw new UserError(`Cannot reach ${server.name} to see its host key: ${test.error?.message ?? 'no answer'}`);
    if (test.ok) {
      void vscode.window.showInformationMessage(`${server.name} is trusted: ${key.type} ${key.fingerprint}`);
      return true;
    }
    const changed = test.error?.kind === 'host_key_changed';
    const pick = await vscode.window.showWarningMessage(
      changed
        ? `The host key of ${server.name} changed: trusted ${server.hostKey?.fingerprint}, now ${key.type} ${key.fingerprint}. Trust the new key only if the server was reinstalled.`
        : `${server.name} shows the host key ${key.type} ${key.fingerprint}. Trust it if it is the server's key.`,
      { modal: true },
      'Trust',
    );
    if (pick !== 'Trust') return false;
    await client.request(TrustServerRequest, { server: server.id, fingerprint: key.fingerprint });
    await this.refresh();
    return true;
  }

  async test(server: ServerDto): Promise<void> {
    const client = await this.daemon.require();
    const result = await client.request(TestServerRequest, { server: server.id }, { timeoutMs: 'unbounded' });
    await this.refresh();
    if (result.ok) void vscode.window.showInformationMessage(`${server.name}: connected in ${result.latencyMs} ms`);
    else if (result.error?.kind === 'host_key_unknown' || result.error?.kind === 'host_key_changed') await this.trust(server);
    else void vscode.window.showErrorMessage(`${server.name}: ${result.error?.message ?? 'failed'}`);
  }

  async remove(server: ServerDto): Promise<void> {
    const pick = await vscode.window.showWarningMessage(`Remove server ${server.name} and its stored credentials?`, { modal: true }, 'Remove');
    if (pick !== 'Remove') return;
    const client = await this.daemon.require();
    await client.request(RemoveServerRequest, { server: server.id });
    await this.refresh();
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
