import * as vscode from 'vscode';
import { DaemonClient } from '../../daemon/client/daemonClient';
import { DaemonNotRunningError } from '../../daemon/client/errors';
import { startDetached, stopDaemon } from '../../daemon/client/launcher';
import { findNode } from './findNode';

/** Shown in the daemon log for every connection of a window. */
const CLIENT_NAME = 'vscode';

function connectDaemon(home: string): Promise<DaemonClient> {
  return DaemonClient.connect(home, CLIENT_NAME);
}

/** What the status bar and the commands know about the daemon. */
export type DaemonState = 'idle' | 'connecting' | 'starting' | 'connected' | 'stopped' | 'reconnecting';

/** Where to find the daemon and how to start it; read fresh on every start so settings apply at once. */
export interface DaemonOptions {
  home(): string;
  nodePath(): string | undefined;
  daemonScript: string;
}

/** Called with every new connection; what it registers on `session` is disposed when that connection ends. */
export type SessionListener = (client: DaemonClient, session: vscode.Disposable[]) => void | Promise<void>;

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000, 15000];

/**
 * The one place that owns the daemon connection. Two cleanup scopes, as in rust-analyzer's client:
 * `lifetime` lives as long as the extension; `session` is emptied each time the connection ends, so
 * subscriptions and notification handlers never outlive the daemon they were made on.
 */
export class DaemonConnection implements vscode.Disposable {
  private readonly lifetime: vscode.Disposable[] = [];
  private session: vscode.Disposable[] = [];
  private client: DaemonClient | undefined;
  private pending: Promise<DaemonClient> | undefined;
  private readonly listeners: SessionListener[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<DaemonState>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private disposed = false;
  /** False once the user stopped the daemon or it went away: commands then ask before starting it. */
  private autoStart = true;
  state: DaemonState = 'idle';
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(private readonly options: DaemonOptions) {
    this.lifetime.push(this.stateEmitter);
  }

  /** Registers a per-connection hook; runs at once if already connected. */
  onSession(listener: SessionListener): void {
    this.listeners.push(listener);
    if (this.client) void listener(this.client, this.session);
  }

  get current(): DaemonClient | undefined {
    return this.client;
  }

  get home(): string {
    return this.options.home();
  }

  /**
   * The client for a command: connects, and starts the daemon on first use. After the daemon went away
   * it throws {@link DaemonNotRunningError} instead, so the user decides whether to start it again.
   */
  async require(): Promise<DaemonClient> {
    if (this.client) return this.client;
    if (!this.autoStart && !this.pending) throw new DaemonNotRunningError(this.home);
    return this.connect(true);
  }

  /** Connects without starting anything; used at activation so an already running daemon shows up. */
  async probe(): Promise<void> {
    try {
      await this.connect(false);
    } catch {
      // Not running is a normal state at activation; the status bar says so.
      if (!this.client) this.setState('stopped');
    }
  }

  async start(): Promise<DaemonClient> {
    this.autoStart = true;
    return this.connect(true);
  }

  async stop(): Promise<boolean> {
    this.autoStart = false;
    this.cancelReconnect();
    const stopped = await stopDaemon({ home: this.home, clientName: CLIENT_NAME, client: this.client });
    return stopped.wasRunning;
  }

  async restart(): Promise<DaemonClient> {
    await this.stop();
    return this.start();
  }

  private connect(allowStart: boolean): Promise<DaemonClient> {
    if (this.client) return Promise.resolve(this.client);
    this.pending ??= this.doConnect(allowStart).finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async doConnect(allowStart: boolean): Promise<DaemonClient> {
    this.cancelReconnect();
    this.setState('connecting');
    let client: DaemonClient;
    try {
      client = await connectDaemon(this.home);
    } catch (e) {
      if (!DaemonNotRunningError.is(e) || !allowStart) {
        this.setState('stopped');
        throw e;
      }
      this.setState('starting');
      try {
        const node = await findNode(this.options.nodePath());
        client = await startDetached({ node, script: this.options.daemonScript, home: this.home, clientName: CLIENT_NAME });
      } catch (startError) {
        this.setState('stopped');
        throw startError;
      }
    }
    this.adopt(client);
    return client;
  }

  private adopt(client: DaemonClient): void {
    this.client = client;
    this.attempt = 0;
    this.autoStart = true;
    this.session = [];
    this.setState('connected');
    for (const listener of this.listeners) {
      Promise.resolve(listener(client, this.session)).catch(() => undefined);
    }
    void client.closed.then(() => this.lost(client));
  }

  private lost(client: DaemonClient): void {
    if (this.client !== client) return;
    client.close();
    this.client = undefined;
    for (const d of this.session.splice(0)) d.dispose();
    if (this.disposed) return;
    // A daemon that went away (killed, crashed, stopped from another window) is not restarted behind
    // the user's back; we only watch for one coming back, e.g. `cronium daemon restart`.
    const userStopped = !this.autoStart;
    this.autoStart = false;
    this.setState(userStopped ? 'stopped' : 'reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.client || this.pending || this.disposed) return;
      this.pending = connectDaemon(this.home).finally(() => (this.pending = undefined));
      this.pending.then(
        (c) => this.adopt(c),
        () => {
          if (this.state !== 'stopped') this.setState('stopped');
          this.scheduleReconnect();
        },
      );
    }, delay);
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private setState(state: DaemonState): void {
    if (this.state === state) return;
    this.state = state;
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    this.disposed = true;
    this.cancelReconnect();
    // Only our connection closes: the daemon keeps running for other windows and schedules.
    this.client?.close();
    this.client = undefined;
    for (const d of this.session.splice(0)) d.dispose();
    for (const d of this.lifetime.splice(0)) d.dispose();
  }
}
