// StatsD for bitcoin-netlab: UDP 8125 in, carbon (plaintext, same container) out, every 10 s.
// Graphite paths this produces are listed in images/graphite/README.md.
{
  port: 8125,
  address: "0.0.0.0",
  // The management port can delete metrics: keep it inside the container (the healthcheck uses it).
  mgmt_address: "127.0.0.1",
  mgmt_port: 8126,

  backends: ["./backends/graphite"],
  graphiteHost: "127.0.0.1",
  graphitePort: 2003,
  // = the finest whisper retention (10s): a faster flush would overwrite points, a slower one leave gaps.
  flushInterval: 10000,

  graphite: {
    legacyNamespace: false,
    globalPrefix: "stats"
  },
  // "_" cannot start a node name, so StatsD's own statistics never mix with a node's.
  prefixStats: "_statsd",

  // Each timer series is a whisper file of 3.15 MiB (apparent size): 6 per timer, not statsd's 14.
  percentThreshold: [90],
  calculatedTimerMetrics: ["count", "lower", "mean", "median", "upper", "upper_percent"],

  // A stopped node's metrics stop too, instead of a flat last value (gauges) or zeros (counters) forever.
  // Gauges keep their value for 6 flushes (1 min), so an exporter that polls less often than each flush
  // does not leave gaps.
  deleteIdleStats: true,
  gaugesMaxTTL: 6
}
