// The warnings upstream's ofp-actions and meta-flow modules log while decoding and checking
// actions, with upstream's module names and rate limits (each module shares one limiter of one
// message a minute with bursts of five, as VLOG_RATE_LIMIT_INIT(1, 5)), so that tools print the
// same diagnostics upstream's do. Logging only; never affects results.

import { RateLimit, vlogModule } from "../../net/vlog.ts";

const actionsLog = vlogModule("ofp_actions");
const actionsLimit = new RateLimit(1, 5);
const metaFlowLog = vlogModule("meta_flow");
const metaFlowLimit = new RateLimit(1, 5);
const bundleLog = vlogModule("bundle");
const bundleLimit = new RateLimit(1, 5);
const bundleDecodeLimit = new RateLimit(1, 5);

/** A rate-limited ofp_actions warning (upstream's VLOG_WARN_RL(&rl, ...)). */
export function actionsWarn(message: string): void {
  actionsLog.rateLimited(actionsLimit, "warn", message);
}

/** A rate-limited ofp_actions informational message. */
export function actionsInfo(message: string): void {
  actionsLog.rateLimited(actionsLimit, "info", message);
}

/** An ofp_actions warning that is not rate limited (upstream's plain VLOG_WARN). */
export function actionsWarnAlways(message: string): void {
  actionsLog.warn(message);
}

/** A rate-limited meta_flow warning (subfield and field checks). */
export function metaFlowWarn(message: string): void {
  metaFlowLog.rateLimited(metaFlowLimit, "warn", message);
}

/** A rate-limited bundle warning (bundle_check). */
export function bundleWarn(message: string): void {
  bundleLog.rateLimited(bundleLimit, "warn", message);
}

/** The separate limiter upstream's decode_bundle uses for its own warnings. */
export function bundleDecodeWarn(message: string): void {
  actionsLog.rateLimited(bundleDecodeLimit, "warn", message);
}
