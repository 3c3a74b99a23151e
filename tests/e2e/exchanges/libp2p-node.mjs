// libp2p-node.mjs NPMDIR listen IP PORT
// libp2p-node.mjs NPMDIR dial MULTIADDR PINGS
//
// A node of npm's js-libp2p (libp2p.sh names the pinned versions, which live
// under NPMDIR/node_modules) with a new random Ed25519 key each run: the TCP
// transport only, Noise, yamux, identify, ping and Helia's bitswap over an
// in-memory blockstore.  No peer discovery (no mDNS, no bootstrap list), no
// DHT, no content routing (bitswap's router finds no provider: it only asks
// the peers it is connected to), no relay, no websockets, no connection
// monitor (its periodic pings would make the capture depend on timing).
//
// Both nodes hold the same made-up 6000-byte block (raw codec, sha2-256
// CIDv1, BLOCK below); only the listener has it in its blockstore.
//
// listen: listens on tcp IP:PORT, prints "libp2p-node listen: MULTIADDR"
// (its address with its peer id), logs every peer it identifies, every
// block it sends and every connection that closes; it stops on SIGTERM or
// after 60 s.
// dial: dials MULTIADDR (/ip4/A/tcp/P/p2p/ID: multistream-select, Noise,
// multistream-select again, yamux), waits for identify, pings the peer
// PINGS times 0.3 s apart (a new yamux stream each, /ipfs/ping/1.0.0),
// fetches the block over bitswap (/ipfs/bitswap/1.2.0) and checks it, hangs
// up and stops; every step has a deadline and the whole run ends after 25 s
// (exit status 1).

// Node 22's Promise.withResolvers, which the packages' own dependencies
// (it-queue, via mortice and the peer store) call; Node 20 lacks it.
Promise.withResolvers ??= function () {
  let resolve, reject
  const promise = new this((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [npmdir, mode, ...args] = process.argv.slice(2)
const say = (...a) => console.log(`libp2p-node ${mode}:`, ...a)

// The packages are ESM only, exported under "import": load them from NPMDIR
// by that entry point (SUB a subpath export, FILE a file of the package).
async function mod(name, sub = '.', file = null) {
  const dir = join(npmdir, 'node_modules', name)
  if (file == null) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const exp = sub === '.' && typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.[sub]
    file = typeof exp === 'string' ? exp : exp?.import ?? exp?.default ?? pkg.module ?? pkg.main
  }
  return import(pathToFileURL(join(dir, file)).href)
}

const { createLibp2p } = await mod('libp2p')
const { tcp } = await mod('@libp2p/tcp')
const { noise } = await mod('@chainsafe/libp2p-noise')
const { yamux } = await mod('@chainsafe/libp2p-yamux')
const { identify } = await mod('@libp2p/identify')
const { ping } = await mod('@libp2p/ping')
const { multiaddr } = await mod('@multiformats/multiaddr')
// @helia/bitswap exports only a Helia mixin; its Bitswap class runs on a
// bare libp2p node given a blockstore, a router and a hasher lookup.
const { Bitswap } = await mod('@helia/bitswap', '.', 'dist/src/bitswap.js')
const { MemoryBlockstore } = await mod('blockstore-core')
const { CID } = await mod('multiformats', './cid')
const { sha256 } = await mod('multiformats', './hashes/sha2')
const raw = await mod('multiformats', './codecs/raw')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const deadline = (ms) => AbortSignal.timeout(ms)

const BLOCK = new TextEncoder().encode(
  Array.from({ length: 120 }, (_, i) => `egressd libp2p bitswap block line ${String(i).padStart(3, '0')}\n`).join('').padEnd(6000, '.'))
const CID_OF_BLOCK = CID.createV1(raw.code, await sha256.digest(BLOCK))

function options(listen) {
  return {
    addresses: { listen },
    transports: [tcp({ dialOpts: { timeout: 5000 } })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    connectionMonitor: { enabled: false },
    connectionManager: { dialTimeout: 5000 },
    services: {
      identify: identify({ timeout: 5000 }),
      ping: ping({ timeout: 5000 })
    }
  }
}

async function withBitswap(node) {
  const blockstore = new MemoryBlockstore()
  const bitswap = new Bitswap({
    libp2p: node,
    logger: node.logger,
    blockstore,
    routing: { async * findProviders () {} },
    getHasher: async (code) => {
      if (code === sha256.code) return sha256
      throw new Error(`no hasher for 0x${code.toString(16)}`)
    }
  })
  await bitswap.start()
  return { bitswap, blockstore }
}

const identified = (r) =>
  `identified ${r.peerId} agent ${r.agentVersion} protocol ${r.protocolVersion} protocols ${r.protocols.join(',')}`

if (mode === 'listen') {
  const [ip, port] = args
  const node = await createLibp2p(options([`/ip4/${ip}/tcp/${port}`]))
  const { bitswap, blockstore } = await withBitswap(node)
  await blockstore.put(CID_OF_BLOCK, BLOCK)
  bitswap.network.addEventListener('bitswap:message', (e) => {
    const m = e.detail.message
    say(`bitswap message from ${e.detail.connection.remotePeer}: ${m.wantlist?.entries?.length ?? 0} wants`)
  })
  node.addEventListener('peer:identify', (e) => say(identified(e.detail)))
  node.addEventListener('connection:close', (e) => say(`connection closed ${e.detail.remotePeer}`))
  const stop = async () => {
    say('stopping')
    await Promise.race([bitswap.stop().then(() => node.stop()), sleep(3000)])
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  setTimeout(stop, 60000)
  say(`block ${CID_OF_BLOCK} ${BLOCK.length} bytes`)
  for (const ma of node.getMultiaddrs()) say(ma.toString())
} else if (mode === 'dial') {
  const [addr, pings] = args
  setTimeout(() => { say('timed out'); process.exit(1) }, 25000)
  const node = await createLibp2p(options([]))
  const { bitswap } = await withBitswap(node)
  const ma = multiaddr(addr)
  const identifiedPeer = new Promise((resolve) => {
    node.addEventListener('peer:identify', (e) => resolve(e.detail))
  })
  const conn = await node.dial(ma, { signal: deadline(5000) })
  say(`connected to ${conn.remotePeer} over ${conn.remoteAddr} encryption ${conn.encryption} multiplexer ${conn.multiplexer}`)
  const r = await Promise.race([identifiedPeer, sleep(5000).then(() => null)])
  if (r === null) {
    say('identify timed out')
    process.exit(1)
  }
  say(identified(r))
  for (let i = 1; i <= Number(pings); i++) {
    await sleep(300)
    const rtt = await node.services.ping.ping(conn.remotePeer, { signal: deadline(3000) })
    say(`ping ${i} rtt ${rtt} ms`)
  }
  await sleep(300)
  const got = await bitswap.want(CID_OF_BLOCK, { signal: deadline(8000) })
  const same = got.length === BLOCK.length && got.every((b, i) => b === BLOCK[i])
  say(`bitswap block ${CID_OF_BLOCK} ${got.length} bytes ${same ? 'matches' : 'DIFFERS'}`)
  await sleep(300)
  await Promise.race([node.hangUp(conn.remotePeer), sleep(3000)])
  await Promise.race([bitswap.stop().then(() => node.stop()), sleep(3000)])
  say('done')
  process.exit(same ? 0 : 1)
} else {
  console.error('usage: libp2p-node.mjs NPMDIR listen IP PORT | NPMDIR dial MULTIADDR PINGS')
  process.exit(2)
}
