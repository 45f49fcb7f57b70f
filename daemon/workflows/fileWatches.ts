import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Changes within this window are read once: an editor's save is often several writes and a rename. */
const SETTLE_MS = 40;

/**
 * Watches files by their folder (fs.watch, no polling): editors save by writing a new file and renaming
 * it over the old one, which a watch on the file itself would lose. One watcher per folder.
 */
export class FileWatches {
  private readonly folders = new Map<string, { watcher: FSWatcher; files: Set<string> }>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly onChange: (file: string) => void,
    private readonly warn: (message: string) => void,
  ) {}

  add(file: string): void {
    const folder = dirname(file);
    const known = this.folders.get(folder);
    if (known !== undefined) {
      known.files.add(basename(file));
      return;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: false }, (_event, name) => {
        const changed = name === null ? undefined : name.toString();
        const entry = this.folders.get(folder);
        if (changed === undefined || entry === undefined || !entry.files.has(changed)) return;
        this.touched(`${folder}/${changed}`);
      });
    } catch (e) {
      this.warn(`cannot watch ${folder} for changes of ${basename(file)}: ${(e as Error).message}`);
      return;
    }
    watcher.on('error', (e) => this.warn(`watching ${folder}: ${e.message}`));
    this.folders.set(folder, { watcher, files: new Set([basename(file)]) });
  }

  /** True when the file was watched. */
  remove(file: string): boolean {
    const folder = dirname(file);
    const entry = this.folders.get(folder);
    if (entry === undefined || !entry.files.delete(basename(file))) return false;
    if (entry.files.size === 0) {
      entry.watcher.close();
      this.folders.delete(folder);
    }
    return true;
  }

  close(): void {
    for (const { watcher } of this.folders.values()) watcher.close();
    this.folders.clear();
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private touched(file: string): void {
    clearTimeout(this.pending.get(file));
    this.pending.set(
      file,
      setTimeout(() => {
        this.pending.delete(file);
        this.onChange(file);
      }, SETTLE_MS),
    );
  }
}
