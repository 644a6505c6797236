/** Shared state of one run: hosts, their connections and file views, variables. */
import { defaultConnectionKind, RunLocked, type Connection } from '../connection/types.ts';
import { ConnectionError, messageOf } from '../errors.ts';
import type { Inventory, Vars, VarsDirs } from '../inventory/model.ts';
import { emptyStats, type Emit, type HostStats, type RunEvent, type TaskOutcome } from '../events/events.ts';
import type { Redactor } from '../events/redact.ts';
import type { Keywords, Play, Playbook } from '../playbook/types.ts';
import type { Lookup } from '../template/templar.ts';
import { FileView } from './file-view.ts';
import { BehindQueue, WriteBehind } from './write-behind.ts';
import { inherited } from './keywords.ts';
import type { TagFilter } from './tags.ts';
import { groupNames, groupsVar, hostvarsProxy, rawLayer, scope } from './vars.ts';

export interface EngineOptions {
  inventory: Inventory;
  playbook: Playbook;
  check: boolean;
  diff: boolean;
  limit?: string;
  tags: TagFilter;
  extraVars: Vars;
  forks: number;
  emit: Emit;
  redactor: Redactor;
  playbookDirVars: VarsDirs;
  /** ansible.cfg's remote_user: the login user below remote_user keywords and every variable. */
  remoteUser?: string;
  /** Makes the connection for a host from its variables (ansible_connection, ansible_host...). */
  connectionFor(host: string, vars: Lookup): Connection;
  /**
   * Send the file writes of consecutive tasks together (write-behind); off:
   * each task's writes are sent before the next task starts.
   */
  writeBehind?: boolean;
  /** Set when the user asked to stop (first Ctrl-C): no new task starts. */
  stopRequested?: () => boolean;
  /**
   * The per-host run lock taken before a run's first write (not in check
   * mode): who we are, and how long to wait for another run's lock (0: fail
   * at once). Undefined: no lock.
   */
  runLock?: { holder: string; waitSeconds: number };
}

/** Where in the run a lookup happens: the play, its batch and hosts. */
export interface PlayPosition {
  play: Play;
  batch: string[];
  playHosts: string[];
  hostvars?: Record<string, unknown>;
}

export interface HostState {
  name: string;
  /** The host's environment by become user ('' the connecting user), read once for `~` and `$NAME` in path arguments. */
  envs?: Map<string, Record<string, string>>;
  /** set_fact, register and gathered facts: above play and task vars. */
  facts: Vars;
  failed: boolean;
  unreachable: boolean;
  /** Out of the rest of the play (meta: end_host), not failed: back in the next play. */
  ended?: boolean;
  stats: HostStats;
  notified: Set<string>;
  conn?: Connection;
  /** The write-behind queue in front of conn (conn is this queue). */
  writes?: WriteBehind;
  /** The ansible_user conn logs in as ('' none: ~/.ssh/config's or the local user). */
  connUser?: string;
  /** Connections as other users (a task's remote_user), by that user. */
  others?: Map<string, { conn: Connection; files: FileView; connecting: Promise<void> }>;
  /** The user of the connection used last ('' none): the file view is read afresh on a change. */
  lastUser?: string;
  files?: FileView;
  connecting?: Promise<void>;
  /** The run lock, taken before the first write. */
  locking?: Promise<void>;
  factsGathered?: boolean;
  /** The last task that failed on the host and its result: ansible_failed_task and ansible_failed_result in a rescue. */
  lastFailure?: { task: Record<string, unknown>; result: Record<string, unknown> };
}

/** An event, or a task's outcome on a host with what counts it once it is final. */
export type Held = { event: RunEvent } | { outcome: TaskOutcome; settle: (o: TaskOutcome) => void; rerun: () => Promise<TaskOutcome> };

/** A marker that a host could not be reached; the task runner turns it into `unreachable`. */
export class Unreachable extends Error {}

export const OMIT = '__omit_place_holder__jitsi_fleet__';

export class RunContext {
  readonly hosts = new Map<string, HostState>();
  private readonly invVarsCache = new Map<string, Vars>();
  groups: Record<string, string[]>;

  constructor(readonly opts: EngineOptions) {
    this.groups = groupsVar(opts.inventory);
  }

  host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, facts: {}, failed: false, unreachable: false, stats: emptyStats(), notified: new Set() };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Inventory edits made by group_by and add_host in this run: play host patterns are resolved again after one. */
  inventoryEdits = 0;

  /** group_by: the host joins `group` (made if new, under `parents`); its variables see the group's. */
  addToGroup(host: string, group: string, parents: string[]): boolean {
    const inv = this.opts.inventory;
    if (!inv.hosts.has(host)) return false;
    const had = inv.groups.get(group)?.hosts.includes(host) ?? false;
    inv.addGroup(group);
    for (const p of parents) if (p !== group) inv.addChild(p, group);
    inv.addHost(host, group);
    inv.reconcile();
    this.inventoryChanged();
    return !had;
  }

  /** add_host: a host (new or known) with groups and variables; true when something changed. */
  addHost(spec: { host_name: string; groups: string[]; host_vars: Vars }): boolean {
    const inv = this.opts.inventory;
    const known = inv.hosts.has(spec.host_name);
    const groups = spec.groups.length ? spec.groups : known ? [] : ['ungrouped'];
    let changed = !known;
    for (const g of groups) {
      if (!inv.groups.get(g)?.hosts.includes(spec.host_name)) changed = true;
      inv.addHost(spec.host_name, g);
    }
    const h = inv.hosts.get(spec.host_name)!;
    for (const [k, v] of Object.entries(spec.host_vars)) {
      if (h.vars[k] !== v) changed = true;
      h.vars[k] = v;
    }
    inv.reconcile();
    this.inventoryChanged();
    return changed;
  }

  private inventoryChanged(): void {
    this.inventoryEdits++;
    this.groups = groupsVar(this.opts.inventory);
    this.invVarsCache.clear();
  }

  inventoryVars(host: string): Vars {
    let v = this.invVarsCache.get(host);
    if (!v) {
      // A name not in the inventory (delegate_to): localhost is Ansible's implicit local host, any other name an address to reach.
      v = this.opts.inventory.hosts.has(host) ? this.opts.inventory.hostVars(host, this.opts.playbookDirVars) : LOCALHOST_NAMES.has(host) ? implicitLocalhost() : {};
      this.invVarsCache.set(host, v);
    }
    return v;
  }

  magic(host: string, play: Play, batch: string[], playHosts: string[], hostvars: Record<string, unknown>): Vars {
    const inv = this.opts.inventory;
    return rawLayer({
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: inv.hosts.has(host) ? groupNames(inv, host) : [],
      groups: this.groups,
      hostvars,
      ansible_play_hosts: batch.filter((h) => !this.host(h).failed && !this.host(h).unreachable && !this.host(h).ended),
      ansible_play_batch: batch,
      ansible_play_hosts_all: playHosts,
      play_hosts: batch,
      ansible_play_name: play.name,
      ansible_check_mode: this.opts.check,
      ansible_diff_mode: this.opts.diff,
      // The run's own settings, as Ansible's magic variables (`when: "'deploy' in ansible_run_tags"`).
      ansible_run_tags: this.opts.tags.only.length ? this.opts.tags.only : ['all'],
      ansible_skip_tags: this.opts.tags.skip,
      ansible_forks: this.opts.forks,
      ansible_verbosity: 0,
      ansible_inventory_sources: inv.sources,
      // The folder of the playbook file the play is in (an imported playbook's own), as Ansible's.
      playbook_dir: play.dir,
      inventory_file: inv.sources[0],
      inventory_dir: inv.sources[0] ? inv.sources[0].replace(/\/[^/]*$/, '') : undefined,
      omit: OMIT,
      ansible_version: { full: '2.14.0', major: 2, minor: 14, string: '2.14.0 (jitsi-fleet)' },
      // Ansible's default ansible_managed string (templates write it into a comment).
      ansible_managed: 'Ansible managed',
    });
  }

  /**
   * What `hostvars[host]` shows, highest first: as in Ansible, the host's
   * inventory variables, facts and set_fact/register results, not play vars.
   */
  playLayers(host: string, _play: Play, magic: Vars): (Vars | undefined)[] {
    return [this.opts.extraVars, magic, this.host(host).facts, this.inventoryVars(host)];
  }

  /** `hostvars` for one task: every inventory host's play-level variables. */
  hostvars(play: Play, batch: string[], playHosts: string[]): Record<string, unknown> {
    const names = [...this.opts.inventory.hosts.keys()];
    const proxy: Record<string, unknown> = hostvarsProxy(
      names,
      (h) => this.playLayers(h, play, this.magic(h, play, batch, playHosts, proxy)),
      (h) => scope(this.playLayers(h, play, this.magic(h, play, batch, playHosts, proxy)), this.opts.redactor),
      [...LOCALHOST_NAMES].filter((n) => !this.opts.inventory.hosts.has(n)),
    );
    return proxy;
  }

  /**
   * The one variable lookup of the run, highest first: -e, magic variables,
   * loop variables, facts and registered values, block/task vars (innermost
   * first), vars_files, play vars, inventory. Tasks and the play loop alike.
   */
  lookup(host: string, at: PlayPosition, frames: Keywords[] = [], loopVars?: Vars): Lookup {
    const magic = this.magic(host, at.play, at.batch, at.playHosts, at.hostvars ?? this.hostvars(at.play, at.batch, at.playHosts));
    const scoped = frames.flatMap((f) => [f.vars, f.hostVars?.get(host)]).filter(Boolean).reverse() as Vars[];
    // Role defaults sit below every other variable, the inventory's included (innermost role first).
    const defaults = frames.map((f) => f.defaults).filter(Boolean).reverse() as Vars[];
    // Below every variable, as Ansible's connection settings: the remote_user keyword (innermost, else the
    // play's), else ansible.cfg's, as ansible_user; the host's name as ansible_host; the connection kind.
    const remoteUser = inherited(frames, 'remoteUser') ?? at.play.remoteUser ?? this.opts.remoteUser;
    const keywords = [{ ansible_host: host, ansible_connection: defaultConnectionKind(host), ...(remoteUser === undefined ? {} : { ansible_user: remoteUser }) }];
    return scope([this.opts.extraVars, magic, loopVars, this.host(host).facts, ...scoped, at.play.varsFilesVars, at.play.vars, this.inventoryVars(host), ...defaults, ...keywords], this.opts.redactor);
  }

  /** Reports an event: the one point where every event is redacted before any renderer sees it. */
  /** Waits `ms`, or less when a stop is requested (Ctrl-C): retries and waits end early. */
  async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.opts.stopRequested?.()) await new Promise((res) => setTimeout(res, Math.min(200, until - Date.now())));
  }

  /**
   * While a host's writes wait in its write-behind queue, events and task
   * outcomes wait here, in order, until the engine releases them (knowing
   * then which writes made it).
   */
  held?: Held[];

  emit(e: RunEvent): void {
    const redacted = this.opts.redactor.event(e);
    if (this.held) this.held.push({ event: redacted });
    else this.opts.emit(redacted);
  }

  /** Reports an event already redacted (a held one). */
  emitHeld(e: RunEvent): void {
    this.opts.emit(e);
  }

  /**
   * Opens (once) the connection of a host; an unreachable host throws Unreachable. The user it logs
   * in as is `ansible_user` (a variable, else the remote_user keyword, else ansible.cfg's: see
   * lookup()). The first connection made is the host's own (its
   * writes wait in the write-behind queue, its run lock); a task that logs in as another user
   * gets a connection of its own, used after the host's queued writes are sent, and each
   * connection's file view is read afresh when the run moves from one to the other.
   */
  async connection(name: string, lookup: Lookup): Promise<{ conn: Connection; files: FileView; queue?: WriteBehind }> {
    const h = this.host(name);
    if (h.unreachable) throw new Unreachable(`${name} is unreachable`);
    const user = lookup('ansible_user');
    const key = user === undefined || user === null ? '' : String(user);
    if (!h.conn) {
      h.writes = new WriteBehind(this.opts.connectionFor(name, lookup));
      h.conn = h.writes;
      h.connUser = key;
      h.files = new FileView(h.conn);
      h.connecting = h.conn.connect();
    }
    let other = key === h.connUser ? undefined : h.others?.get(key);
    if (key !== h.connUser && !other) {
      const conn = new BehindQueue(h.writes!, this.opts.connectionFor(name, lookup));
      other = { conn, files: new FileView(conn), connecting: conn.connect() };
      (h.others ??= new Map()).set(key, other);
    }
    try {
      await h.connecting;
      await other?.connecting;
    } catch (e) {
      this.markUnreachable(name, e instanceof ConnectionError ? e.message : (e as Error).message);
      throw new Unreachable((e as Error).message);
    }
    const files = other?.files ?? h.files!;
    if (h.others && h.lastUser !== key) {
      // What the other user's tasks did is not in this view.
      files.forget();
      h.lastUser = key;
    }
    return other ? { conn: other.conn, files } : { conn: h.conn, files, queue: h.writes };
  }

  /**
   * Takes the run lock of every host of the run before anything is written,
   * so that two runs over the same hosts cannot each hold one host and wait
   * for the other's (a deadlock until the wait times out): all at once when
   * no other run holds any; otherwise, ours let go and taken again one by
   * one in name order, waiting, as every run does.
   */
  async lockAll(hosts: string[], lookupFor: (host: string) => Lookup): Promise<void> {
    const lock = this.opts.runLock;
    if (!lock || this.opts.check) return;
    const sorted = [...new Set(hosts)].sort();
    const opened = await Promise.all(
      sorted.map(async (name) => {
        try {
          return { name, conn: (await this.connection(name, lookupFor(name))).conn };
        } catch {
          return undefined; // unreachable: marked by connection()
        }
      }),
    );
    const reachable = opened.filter((o): o is { name: string; conn: Connection } => o !== undefined);
    const tries = await Promise.all(
      reachable.map(async ({ name, conn }) => {
        try {
          await conn.lock({ name, holder: lock.holder, waitSeconds: 0 });
          return 'ours';
        } catch (e) {
          return e instanceof RunLocked ? 'busy' : 'failed';
        }
      }),
    );
    if (!tries.includes('busy')) {
      reachable.forEach(({ name }, i) => {
        if (tries[i] === 'ours') this.host(name).locking = Promise.resolve();
      });
      return;
    }
    reachable.forEach(({ conn }, i) => tries[i] === 'ours' && conn.unlock());
    for (const { name } of reachable) {
      try {
        await this.writable(name);
      } catch {
        // marked unreachable with the reason by writable()
      }
    }
  }

  /**
   * Resolves when the host may be written: its run lock is ours. Another
   * run's lock (after waiting, if asked) makes the host unreachable for this run.
   */
  async writable(name: string): Promise<void> {
    const lock = this.opts.runLock;
    const h = this.host(name);
    if (!lock || this.opts.check || !h.conn) return;
    h.locking ??= h.conn.lock({
      name,
      holder: lock.holder,
      waitSeconds: lock.waitSeconds,
      onBusy: (holder) => this.emit({ kind: 'warning', host: name, msg: `${name} is locked by another jitsi-fleet run (${holder}); waiting up to ${lock.waitSeconds} s (--lock-wait)` }),
    });
    try {
      await h.locking;
    } catch (e) {
      const msg = `${messageOf(e)}${lock.waitSeconds === 0 ? '; wait for it with --lock-wait SECONDS' : ''}`;
      this.markUnreachable(name, msg);
      throw new ConnectionError(msg);
    }
  }

  markUnreachable(name: string, msg: string): void {
    const h = this.host(name);
    if (h.unreachable) return;
    h.unreachable = true;
    h.stats.unreachable = 1;
    this.emit({ kind: 'host-unreachable', host: name, msg });
  }

  private readonly locks = new Map<string, Promise<unknown>>();

  /** Runs `fn` when no other exclusive work for `key` is running. */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(fn);
    this.locks.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.locks.get(key) === mine) this.locks.delete(key);
    }
  }

  async closeAll(): Promise<void> {
    const conns = [...this.hosts.values()].flatMap((h) => [h.conn, ...[...(h.others?.values() ?? [])].map((o) => o.conn)]);
    await Promise.all(conns.map((c) => c?.close().catch(() => {})));
  }
}

/** The names Ansible takes for its implicit localhost (C.LOCALHOST). */
const LOCALHOST_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

function implicitLocalhost(): Vars {
  return { ansible_connection: 'local', ansible_host: '127.0.0.1' };
}

