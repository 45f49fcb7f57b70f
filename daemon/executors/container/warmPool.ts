import { coerceError } from '../../errors';
import type { Runtime } from '../../protocol/dto';
import type { RunContext } from './containerRun';
import { DEFAULT_CONTAINER_OPTIONS, newSlotId } from './containerSpecs';
import { removeJobResources, type JobResources } from './jobCleanup';
import { boundedSetup, prepareSlot, StoppedDuringSetup, type Slot } from './slot';

/** What a warm slot is made for: jobs with the default limits, no network, and these images. */
export interface WarmKey {
  runtime: Runtime;
  jobImage: string;
  sidecarImage: string;
}

interface Entry {
  resources: JobResources;
  slot: Promise<Slot | undefined>;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Slots (network, sidecar, job container) made ahead per runtime that has run a container job, so
 * the next job of that runtime starts in milliseconds instead of the ~400 ms a network, a relay and a
 * container take to come up. A slot belongs to no job until one takes it; taking it starts the next.
 * A slot unused for `idleMs` is removed, so an idle daemon leaves nothing running for long.
 */
export class WarmPool {
  /** Per key, the slots ready or on their way, oldest first. */
  private readonly entries = new Map<string, Entry[]>();
  private closed = false;

  constructor(
    private readonly ctx: RunContext,
    private readonly daemonId: string,
    private readonly idleMs: number,
    /** Slots kept per key: two let back-to-back jobs find one ready while the next is being made. */
    private readonly depth: number,
    /** Settles once the executor's start-up recovery is over: until then nothing is made. */
    private readonly ready: () => Promise<void>,
  ) {}

  /**
   * The slot made ahead for `key`, if one is there and alive. The caller fills the pool again once its
   * job is over: making a slot while the job runs would slow the job down.
   */
  async take(key: WarmKey): Promise<Slot | undefined> {
    const entry = this.entries.get(keyId(key))?.shift();
    if (entry === undefined) return undefined;
    clearTimeout(entry.idleTimer);
    const slot = await entry.slot;
    if (slot?.alive) return slot;
    if (slot !== undefined) await this.remove(entry);
    return undefined;
  }

  /** Starts making slots for `key` until `depth` are there or on their way. */
  fill(key: WarmKey): void {
    const id = keyId(key);
    const list = this.entries.get(id) ?? [];
    this.entries.set(id, list);
    while (!this.closed && list.length < this.depth) list.push(this.make(key, list));
  }

  private make(key: WarmKey, list: Entry[]): Entry {
    const resources: JobResources = {};
    const entry: Entry = { resources, slot: Promise.resolve(undefined) };
    const drop = (): boolean => {
      const at = list.indexOf(entry);
      if (at !== -1) list.splice(at, 1);
      return at !== -1;
    };
    entry.slot = (async () => {
      await this.ready();
      if (this.closed) return undefined;
      const owner = { daemonId: this.daemonId, slotId: newSlotId(), runtime: key.runtime };
      const prepare = (gaveUp: () => boolean) =>
        prepareSlot(
          {
            ctx: this.ctx,
            owner,
            jobImage: key.jobImage,
            sidecarImage: key.sidecarImage,
            options: DEFAULT_CONTAINER_OPTIONS,
            stopRequested: () => this.closed || gaveUp(),
          },
          resources,
        );
      return boundedSetup(this.ctx, `make a warm ${key.runtime} slot`, prepare, resources);
    })().then(
      (slot) => {
        if (slot !== undefined && list.includes(entry)) {
          entry.idleTimer = setTimeout(() => {
            if (!drop()) return;
            this.ctx.logger.debug(`warm ${key.runtime} slot unused for ${this.idleMs / 1000} s: removed`);
            // Out of the list, so close's drain no longer sees it: the executor's close waits for it instead.
            this.ctx.background.add(this.remove(entry));
          }, this.idleMs);
          // A waiting slot must not keep the daemon alive, nor wake it before it expires.
          entry.idleTimer.unref();
        }
        return slot;
      },
      async (e: unknown) => {
        if (!(e instanceof StoppedDuringSetup)) {
          this.ctx.logger.warn(`could not make a warm ${key.runtime} slot (${coerceError(e).message}); jobs start fresh`);
        }
        drop();
        await this.remove(entry);
        return undefined;
      },
    );
    return entry;
  }

  /** Settles once no slot is on its way. */
  async settled(): Promise<void> {
    await Promise.all([...this.entries.values()].flat().map((entry) => entry.slot));
  }

  /** Removes every slot; the pool makes no more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  /** Removes every slot there is or is on its way; `fill` makes new ones. */
  async drain(): Promise<void> {
    // Emptied in place: a slot still on its way looks itself up in its list when it is ready.
    const entries = [...this.entries.values()].flatMap((list) => list.splice(0));
    this.entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        clearTimeout(entry.idleTimer);
        await entry.slot;
        await this.remove(entry);
      }),
    );
  }

  private async remove(entry: Entry): Promise<void> {
    await removeJobResources(this.ctx.docker, entry.resources, this.ctx.logger, this.ctx.cleanupTimeoutMs);
  }
}

/** True when a job with `options` may run in a warm slot: the defaults, on its runtime's image. */
export function warmable(options: { memoryBytes: number; nanoCpus: number; pidsLimit: number; network: boolean }): boolean {
  const d = DEFAULT_CONTAINER_OPTIONS;
  return options.memoryBytes === d.memoryBytes && options.nanoCpus === d.nanoCpus && options.pidsLimit === d.pidsLimit && options.network === d.network;
}

function keyId(key: WarmKey): string {
  return `${key.runtime}\n${key.jobImage}\n${key.sidecarImage}`;
}
