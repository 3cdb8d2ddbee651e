/**
 * Signature HTML is sanitised off the event loop, in a small pool of worker threads. Within the
 * structure limits the worst accepted signature still costs the sanitiser tens to hundreds of
 * milliseconds (bench: signature sanitiser), and on the main thread every request of both listeners
 * would wait for it. A job past `timeoutMs` is refused and its worker replaced, so no input, however
 * it defeats the limits, holds a thread for longer; past `maxQueued` waiting jobs new ones are refused.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/logger.js';
import type { SanitiseOutcome, StructureLimits } from './sanitise.js';

export interface SanitiserPoolOptions {
  threads: number;
  timeoutMs: number;
  maxQueued: number;
  limits: StructureLimits;
  log: Logger;
}

/** Why the pool did not sanitise: too slow (the input's fault) or too many waiting (retry later). */
export type PoolOutcome = SanitiseOutcome | { ok: false; busy: true };

interface Job {
  id: number;
  html: string;
  resolve: (outcome: PoolOutcome) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker | undefined;
  /** Loaded and listening: a job's time starts then, not while the worker loads its modules. */
  ready: boolean;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

// CommonJS, as eval'd workers are. Run from the TypeScript sources (tests, tsx), the worker registers
// tsx itself: Node 20 does not carry the parent's module hooks into workers.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.loader) (await import(workerData.loader)).register();
  const { sanitiseWithinLimits } = await import(workerData.module);
  parentPort.on('message', ({ id, html }) => parentPort.postMessage({ id, outcome: sanitiseWithinLimits(html, workerData.limits) }));
  parentPort.postMessage({ ready: true });
})();
`;

const FROM_SOURCES = import.meta.url.endsWith('.ts');
const SANITISE_MODULE = new URL(FROM_SOURCES ? './sanitise.ts' : './sanitise.js', import.meta.url).href;

export class SanitiserPool {
  readonly #slots: Slot[];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(private readonly o: SanitiserPoolOptions) {
    this.#slots = Array.from({ length: Math.max(1, o.threads) }, () => ({ worker: undefined, ready: false, job: undefined, timer: undefined }));
  }

  sanitise(html: string): Promise<PoolOutcome> {
    if (this.#closed) return Promise.reject(new Error('the sanitiser pool is closed'));
    if (this.#queue.length >= this.o.maxQueued) return Promise.resolve({ ok: false, busy: true });
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, html, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the sanitiser pool is closed'));
    await Promise.all(this.#slots.map((slot) => this.#retire(slot, new Error('the sanitiser pool is closed'))));
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job || this.#queue.length === 0) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker ??= this.#spawn(slot);
      if (slot.ready) this.#startClock(slot);
      slot.worker.postMessage({ id: job.id, html: job.html });
    }
  }

  #startClock(slot: Slot): void {
    const job = slot.job;
    if (!job) return;
    slot.timer = setTimeout(() => {
      this.o.log.warn({ timeoutMs: this.o.timeoutMs }, 'signature sanitiser: a job ran past its time; its worker is replaced');
      job.resolve({ ok: false, reason: `it took longer than ${this.o.timeoutMs} ms to check` });
      slot.job = undefined;
      void this.#retire(slot).then(() => this.#dispatch());
    }, this.o.timeoutMs);
  }

  #spawn(slot: Slot): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: SANITISE_MODULE, loader: FROM_SOURCES ? import.meta.resolve('tsx/esm/api') : undefined, limits: this.o.limits },
    });
    // An idle pool must not keep a stopping process alive.
    worker.unref();
    worker.on('message', (message: { id: number; outcome: SanitiseOutcome } | { ready: true }) => {
      if ('ready' in message) {
        slot.ready = true;
        this.#startClock(slot);
        return;
      }
      const job = slot.job;
      if (!job || job.id !== message.id) return;
      clearTimeout(slot.timer);
      slot.job = undefined;
      job.resolve(message.outcome);
      this.#dispatch();
    });
    const lost = (err: Error) => {
      if (slot.worker !== worker) return;
      this.o.log.error({ err }, 'signature sanitiser: a worker failed; it is replaced');
      void this.#retire(slot, err).then(() => this.#dispatch());
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the sanitiser worker exited with code ${code}`)));
    return worker;
  }

  /** Stops the slot's worker; a job still on it fails with `err`. */
  async #retire(slot: Slot, err?: Error): Promise<void> {
    clearTimeout(slot.timer);
    const { worker, job } = slot;
    slot.worker = undefined;
    slot.ready = false;
    slot.job = undefined;
    if (job && err) job.reject(err);
    if (worker) await worker.terminate();
  }
}
