import type { EngineSnapshot, StoredHit } from '../shared/model';

/**
 * Where a window's hits come from, as the StreamService sees it: Adobe (the
 * LiveStreamEngine has this shape) or a team relay (src/relay/relayViewer.ts,
 * Redis Streams). Another bus (NATS JetStream, Kafka) would be one more
 * implementation: batches of hits with the exact record text, an observable
 * snapshot (with `relay` set for a relayed source), start until stopped.
 */
export interface HitSource {
  onHits(l: (hits: StoredHit[]) => void): () => void;
  onState(l: (s: EngineSnapshot) => void): () => void;
  snapshot(): EngineSnapshot;
  /** Runs until stop() or an error no retry can fix. */
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
  dispose(): Promise<void>;
}
