// The test rig: applies a LabPlan to the local Docker engine through its API, as infra/ does through Pulumi.
export { up, RigApplyError, type UpOptions, type UpReport } from "./apply.js";
export { down, stackLabelFilter, type DownReport } from "./down.js";
export { status, formatStatus, type NodeStatus } from "./status.js";
export { planFromFile, credentialsFor, type PlanOptions } from "./plan.js";
export { readState, statePath, defaultStateDir, type RigState } from "./state.js";
export { bitcoinCli, bitcoinCliOn, docker, execIn, inspectContainer, lastLogLines, removeContainer } from "./docker.js";
export { manualOutbound, peerInfo, unconnectedEdges, waitEdgesConnected, waitHealthy, type PeerInfo } from "./wait.js";
export { runShell } from "./shell.js";
export { poll, sleep, mapLimit, seconds, stderrLogger, silentLogger, type Logger } from "./util.js";
export { rpcClient, RpcError, type RpcClient } from "./rpc.js";
