/**
 * Everything a connection needs (undici, gzip, the demo server), behind one
 * module the service loads with a dynamic import on first connect. esbuild
 * keeps it in the bundle but evaluates it lazily, so activating the extension
 * does not pay for parsing the HTTP stack.
 */
export { LiveStreamEngine } from '../stream/liveStreamEngine';
export { startDemoServer } from './demoServerHandle';
export { ImsTokenProvider, StaticTokenProvider } from '../stream/tokens';
export { RelayViewer } from '../relay/relayViewer';
export { parseRedisUrl } from '../relay/redisTarget';
export { defaultStreamKey } from '../relay/relayKeys';
