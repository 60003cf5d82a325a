// Datapath meters (upstream's dpif-netdev dp_meter): token buckets with drop bands, in kilobits
// or packets per second, with burst sizes, as OpenFlow meter-mods configure them through the slow
// path. `execute` is the meter(N) action: it drops, in place, the packets of a batch that exceed a
// band and counts them per band. Promises the same arithmetic as upstream (buckets in bits or
// thousandths of a packet, refilled by elapsed milliseconds, capped at burst*1000, a full bucket
// at creation, the highest-rate exceeded band firing for each packet), no allocation in
// `execute`, and no clock of its own: time is passed in (milliseconds on the owner's clock).

import { DpError } from "./dp_errors.ts";
import type { Packet } from "./packet.ts";

/** ofp13 meter flags. */
export const OFPMF13_KBPS = 1;
export const OFPMF13_PKTPS = 2;
export const OFPMF13_BURST = 4;
export const OFPMF13_STATS = 8;
export const OFPMBT13_DROP = 1;

export const MAX_METERS = 1 << 18;
export const MAX_BANDS = 8;
const SUPPORTED_FLAGS = OFPMF13_STATS | OFPMF13_PKTPS | OFPMF13_KBPS | OFPMF13_BURST;

export interface MeterBandConfig {
  /** OFPMBT13_*: only DROP is supported by this datapath. */
  type: number;
  /** kbps or pktps, by the meter's flags. */
  rate: number;
  /** kilobits or packets; 0 means "the rate". */
  burstSize: number;
}

export interface MeterConfig {
  flags: number;
  bands: readonly MeterBandConfig[];
}

export interface MeterStats {
  packetsIn: number;
  bytesIn: number;
  bands: { packets: number; bytes: number }[];
}

export interface MeterFeatures {
  maxMeters: number;
  bandTypes: number;
  capabilities: number;
  maxBands: number;
  maxColor: number;
}

interface Band {
  rate: number;
  burstSize: number;
  /** Bits (kbps) or 1/1000 packets (pktps). */
  bucket: number;
  packets: number;
  bytes: number;
}

interface Meter {
  flags: number;
  bands: Band[];
  maxDeltaT: number;
  /** Last use, milliseconds. */
  used: number;
  packets: number;
  bytes: number;
}

export class MeterTable {
  private readonly meters = new Map<number, Meter>();
  private readonly exceededBand: Int32Array;
  private readonly exceededRate: Float64Array;

  constructor(maxBatch = 32) {
    this.exceededBand = new Int32Array(maxBatch);
    this.exceededRate = new Float64Array(maxBatch);
  }

  features(): MeterFeatures {
    return {
      maxMeters: MAX_METERS,
      bandTypes: 1 << OFPMBT13_DROP,
      capabilities: SUPPORTED_FLAGS,
      maxBands: MAX_BANDS,
      maxColor: 0,
    };
  }

  /** Installs or replaces meter `id`. Throws DpError EFBIG, EBADF, EINVAL or ENODEV. */
  set(id: number, config: MeterConfig, now: number): void {
    if (id >= MAX_METERS) throw new DpError("EFBIG");
    if (config.flags & ~SUPPORTED_FLAGS) throw new DpError("EBADF");
    if (config.bands.length > MAX_BANDS) throw new DpError("EINVAL");
    for (const band of config.bands) if (band.type !== OFPMBT13_DROP) throw new DpError("ENODEV");
    const meter: Meter = {
      flags: config.flags,
      bands: [],
      maxDeltaT: 0,
      used: now,
      packets: 0,
      bytes: 0,
    };
    for (const b of config.bands) {
      const burstSize = b.burstSize === 0 ? b.rate : b.burstSize;
      const band: Band = {
        rate: b.rate >>> 0,
        burstSize: burstSize >>> 0,
        bucket: burstSize * 1000,
        packets: 0,
        bytes: 0,
      };
      const bandMaxDeltaT = band.rate ? Math.floor(band.bucket / band.rate) : 0;
      if (bandMaxDeltaT > meter.maxDeltaT) meter.maxDeltaT = bandMaxDeltaT;
      meter.bands.push(band);
    }
    this.meters.set(id, meter);
  }

  /** Meter `id`'s statistics. Throws DpError EFBIG or ENOENT. */
  get(id: number): MeterStats {
    if (id >= MAX_METERS) throw new DpError("EFBIG");
    const meter = this.meters.get(id);
    if (!meter) throw new DpError("ENOENT");
    return {
      packetsIn: meter.packets,
      bytesIn: meter.bytes,
      bands: meter.bands.map((b) => ({ packets: b.packets, bytes: b.bytes })),
    };
  }

  /** Removes meter `id`, returning its last statistics. Throws as `get`. */
  delete(id: number): MeterStats {
    const stats = this.get(id);
    this.meters.delete(id);
    return stats;
  }

  has(id: number): boolean {
    return this.meters.has(id);
  }

  /**
   * The meter(id) action on `batch[0..count)` at time `now`: packets that pass are compacted to
   * the front, in order; returns how many passed. An unknown meter passes everything.
   */
  execute(id: number, batch: Packet[], count: number, now: number): number {
    const meter = this.meters.get(id);
    if (!meter || count === 0) return count;
    const exceededBand = this.exceededBand;
    const exceededRate = this.exceededRate;
    for (let i = 0; i < count; i++) {
      exceededBand[i] = -1;
      exceededRate[i] = 0;
    }
    const longDelta = Math.max(0, Math.floor(now) - Math.floor(meter.used));
    const deltaT = Math.min(longDelta, meter.maxDeltaT);
    meter.used = now;
    meter.packets += count;
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += batch[i]!.length;
    meter.bytes += bytes;
    const pktps = (meter.flags & OFPMF13_PKTPS) !== 0;
    const volume = pktps ? count * 1000 : bytes * 8;
    for (let m = 0; m < meter.bands.length; m++) {
      const band = meter.bands[m]!;
      const maxBucket = band.burstSize * 1000;
      band.bucket = Math.min(band.bucket + deltaT * band.rate, maxBucket);
      if (band.bucket >= volume) {
        band.bucket -= volume;
        continue;
      }
      if (pktps) {
        const firstExceeding = Math.floor(band.bucket / 1000);
        band.bucket %= 1000;
        for (let i = firstExceeding; i < count; i++) {
          if (band.rate > exceededRate[i]!) {
            exceededRate[i] = band.rate;
            exceededBand[i] = m;
          }
        }
      } else {
        for (let i = 0; i < count; i++) {
          const bits = batch[i]!.length * 8;
          if (band.bucket >= bits) {
            band.bucket -= bits;
          } else if (band.rate > exceededRate[i]!) {
            exceededRate[i] = band.rate;
            exceededBand[i] = m;
          }
        }
      }
    }
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const p = batch[i]!;
      const b = exceededBand[i]!;
      if (b >= 0) {
        const band = meter.bands[b]!;
        band.packets++;
        band.bytes += p.length;
      } else {
        batch[kept++] = p;
      }
    }
    return kept;
  }
}
