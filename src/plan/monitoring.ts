// The lab's services, planned like its nodes: Graphite+StatsD, Grafana with provisioned dashboards, the
// per-lab exporter and the viewer. Secrets reach them only as files whose content comes from stack secrets.
import { stringify } from "yaml";
import { CHAIN_PARAMS } from "./chains.js";
import { SERVICE_OFFSETS, SERVICE_PORT_OFFSETS, addressAt, type StackSettings } from "./stack.js";
import type { ImagePlan, LabPlan, ServiceName, ServicePlan } from "./types.js";

export const GRAPHITE_IMAGE = "bitcoin-netlab/graphite:1";
export const EXPORTER_IMAGE = "bitcoin-netlab/exporter:1";
export const VIEWER_IMAGE = "bitcoin-netlab/viewer:1";
/** Grafana comes from its registry; these machines cannot pull it, so the tests query Graphite directly. */
export const GRAFANA_IMAGE = "grafana/grafana-oss:12.3.0";
export const GRAPHITE_DATASOURCE_UID = "netlab-graphite";
/** Every file in dashboards/, provisioned into Grafana (a unit test keeps this list and the folder equal). */
export const DASHBOARD_FILES = ["bandwidth.json", "blocks.json", "mempool.json", "network.json", "node.json", "peers.json", "system.json", "transactions.json"];
export const RPC_PASSWORD_FILE = "/run/secrets/rpc-password";
export const EXPORTER_CONFIG_FILE = "/etc/netlab/exporter.json";
const GRAFANA_PASSWORD_FILE = "/run/secrets/grafana-admin-password";
// The exporter and the viewer find the lab's nodes (and container stats) through the engine. Mounted
// read-only, but whoever holds the socket holds the engine: these two containers are trusted lab code.
const DOCKER_SOCKET = { source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true };
const PORTS = { graphiteWeb: 8080, statsd: 8125, grafana: 3000, viewer: 8088 } as const;

export const SERVICE_IMAGES: ImagePlan[] = [
  { name: GRAPHITE_IMAGE, context: "images/graphite", buildArgs: {}, labels: { "netlab.image": "graphite" }, prepare: "bash images/graphite/prepare.sh" },
  { name: EXPORTER_IMAGE, context: "images/exporter", buildArgs: {}, labels: { "netlab.image": "exporter" }, prepare: "bash images/exporter/prepare.sh" },
  { name: VIEWER_IMAGE, context: "images/viewer", buildArgs: {}, labels: { "netlab.image": "viewer" }, prepare: "bash images/viewer/prepare.sh" },
  { name: GRAFANA_IMAGE, context: undefined, buildArgs: {}, labels: {}, prepare: undefined },
];

/** The exporter's configuration file. Nodes are not listed: the exporter finds them by their labels on every
 * round, so adding a node or an edge changes nothing in the services. */
export interface ExporterFileConfig {
  stack: string;
  intervalSeconds: number;
  statsd: { host: string; port: number };
  rpc: { user: string; passwordFile: string; port: number };
  dockerStats: boolean;
  /**
   * How nodes are found each round: by container labels (default, one host), in swarm mode by the manager's
   * services, over several plain hosts from the lab file (the first host's engine sees only its own containers).
   */
  discovery?: "swarm" | "lab-file";
  labFile?: string;
}

function service(
  name: ServiceName,
  settings: StackSettings,
  network: string,
  fields: Partial<ServicePlan> & Pick<ServicePlan, "image">,
): ServicePlan {
  const container = `${settings.stack}-${name}`;
  return {
    service: name,
    container,
    hostname: container,
    command: [],
    env: [],
    labels: { "netlab.stack": settings.stack, "netlab.service": name },
    network,
    // On a Swarm's overlay, fixed addresses could clash with the tasks' (given by the Swarm): names instead.
    ip: settings.mode === "swarm" ? container : addressAt(settings.subnet, SERVICE_OFFSETS[name]),
    ports: [],
    volume: undefined,
    files: [],
    mounts: [],
    restart: "unless-stopped",
    healthy: false,
    url: undefined,
    ...fields,
  };
}

const hostUrl = (settings: StackSettings, name: keyof typeof SERVICE_PORT_OFFSETS) => `http://127.0.0.1:${settings.portBase + SERVICE_PORT_OFFSETS[name]}`;

export const LAB_FILE = "/etc/netlab/lab.json";

/**
 * The viewer of a lab over several hosts or a Swarm: nodes from a lab file (the plan's nodes and edges, RPC as
 * reached from the first host's lab network), since its engine sees only its own containers.
 */
function labFileViewer(settings: StackSettings, labFile: string, grafanaUrl: string): Partial<ServicePlan> {
  const viewer = `exec node /opt/netlab/netlab.cjs viewer --stack ${settings.stack} --plan ${LAB_FILE} --host 0.0.0.0 --port ${PORTS.viewer} --grafana ${grafanaUrl}`;
  return {
    // The password goes from its file into the viewer's environment only, never into the container's config.
    entrypoint: ["sh", "-c", `NETLAB_RPC_PASSWORD="$(cat ${RPC_PASSWORD_FILE})" ${viewer}`],
    command: [],
    files: [
      { path: RPC_PASSWORD_FILE, secret: "rpcPassword" },
      { path: LAB_FILE, content: labFile },
    ],
    mounts: [],
  };
}

/** `labFile`: for a lab over several hosts or a Swarm, the nodes as the services on the first host reach them. */
export function servicesPlan(plan: Pick<LabPlan, "chain" | "rpcUser">, settings: StackSettings, network: string, labFile?: string): ServicePlan[] {
  if (settings.monitoring === false) return [];
  const rpcPort = CHAIN_PARAMS[plan.chain].rpcPort;
  const graphiteIp = settings.mode === "swarm" ? `${settings.stack}-graphite` : addressAt(settings.subnet, SERVICE_OFFSETS.graphite);
  const grafanaUrl = hostUrl(settings, "grafana");

  const exporterConfig: ExporterFileConfig = {
    stack: settings.stack,
    intervalSeconds: settings.metricsInterval ?? 10,
    statsd: { host: graphiteIp, port: PORTS.statsd },
    rpc: { user: plan.rpcUser, passwordFile: RPC_PASSWORD_FILE, port: rpcPort },
    dockerStats: true,
    ...(settings.mode === "swarm" ? { discovery: "swarm" as const } : labFile !== undefined ? { discovery: "lab-file" as const, labFile: LAB_FILE } : {}),
  };
  const datasource = {
    apiVersion: 1,
    datasources: [
      { name: "Graphite", uid: GRAPHITE_DATASOURCE_UID, type: "graphite", access: "proxy", url: `http://${graphiteIp}:${PORTS.graphiteWeb}`, isDefault: true, jsonData: { graphiteVersion: "1.1" }, editable: false },
    ],
  };
  const dashboardProvider = {
    apiVersion: 1,
    providers: [{ name: "netlab", folder: "bitcoin-netlab", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: "/etc/netlab/dashboards" } }],
  };

  return [
    service("graphite", settings, network, {
      image: GRAPHITE_IMAGE,
      ports: [{ internal: PORTS.graphiteWeb, external: settings.portBase + SERVICE_PORT_OFFSETS.graphite, ip: "127.0.0.1", protocol: "tcp" }],
      volume: { name: `${settings.stack}-graphite-data`, containerPath: "/var/lib/graphite" },
      healthy: true,
      url: hostUrl(settings, "graphite"),
    }),
    service("grafana", settings, network, {
      image: GRAFANA_IMAGE,
      env: [
        "GF_SECURITY_ADMIN_USER=admin",
        `GF_SECURITY_ADMIN_PASSWORD__FILE=${GRAFANA_PASSWORD_FILE}`,
        "GF_USERS_ALLOW_SIGN_UP=false",
        "GF_ANALYTICS_REPORTING_ENABLED=false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
        "GF_NEWS_NEWS_FEED_ENABLED=false",
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=/etc/netlab/dashboards/network.json",
      ],
      ports: [{ internal: PORTS.grafana, external: settings.portBase + SERVICE_PORT_OFFSETS.grafana, ip: "127.0.0.1", protocol: "tcp" }],
      volume: { name: `${settings.stack}-grafana-data`, containerPath: "/var/lib/grafana" },
      files: [
        { path: GRAFANA_PASSWORD_FILE, secret: "grafanaPassword" },
        { path: "/etc/grafana/provisioning/datasources/netlab.yaml", content: stringify(datasource) },
        { path: "/etc/grafana/provisioning/dashboards/netlab.yaml", content: stringify(dashboardProvider) },
        ...DASHBOARD_FILES.map((file) => ({ path: `/etc/netlab/dashboards/${file}`, source: `dashboards/${file}` })),
      ],
      url: grafanaUrl,
    }),
    service("exporter", settings, network, {
      image: EXPORTER_IMAGE,
      command: [EXPORTER_CONFIG_FILE],
      files: [
        { path: EXPORTER_CONFIG_FILE, content: `${JSON.stringify(exporterConfig, null, 2)}\n` },
        { path: RPC_PASSWORD_FILE, secret: "rpcPassword" },
        ...(exporterConfig.labFile === undefined || labFile === undefined ? [] : [{ path: LAB_FILE, content: labFile }]),
      ],
      mounts: [DOCKER_SOCKET],
    }),
    service("viewer", settings, network, {
      image: VIEWER_IMAGE,
      // Inside the lab network the viewer finds the nodes by their labels and reaches RPC at their lab addresses.
      command: [
        "viewer", "--stack", settings.stack, "--source", "docker", "--rpc-via", "lab-network", "--rpc-user", plan.rpcUser,
        "--password-file", RPC_PASSWORD_FILE, "--host", "0.0.0.0", "--port", String(PORTS.viewer), "--grafana", grafanaUrl,
      ],
      files: [{ path: RPC_PASSWORD_FILE, secret: "rpcPassword" }],
      mounts: [DOCKER_SOCKET],
      ports: [{ internal: PORTS.viewer, external: settings.portBase + SERVICE_PORT_OFFSETS.viewer, ip: "127.0.0.1", protocol: "tcp" }],
      url: hostUrl(settings, "viewer"),
      ...(labFile === undefined ? {} : labFileViewer(settings, labFile, grafanaUrl)),
    }),
  ];
}
