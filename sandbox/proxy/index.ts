// The proxy pair's public surface, for sandbox/run.

export { RecordLog } from './records';
export type { RecordSnapshot } from './records';
export { createResolver } from './resolver';
export type { Resolve } from './resolver';
export { DEFAULT_LIMITS, makeProxyContext } from './context';
export type { ProxyContext, ProxyLimits } from './context';
export type { ProxyServer } from './server';
export { createHttpProxy } from './http-proxy';
export { createSocksProxy } from './socks5-proxy';
export { createProxyPair, startProxyPair } from './proxy-pair';
export type { ListenOn, ProxyPair } from './proxy-pair';
