/**
 * What request handlers read of the cluster: the live brokers (with the endpoint of the listener a
 * client connected to), the active controller, and each partition's leader, replicas and ISR. In a
 * cluster it is answered from the current metadata image; a handler never asks another node.
 */

export interface BrokerEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionView {
  /** -1 when the partition has no leader (offline). */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas on brokers that are not alive (fenced or gone). */
  readonly offlineReplicas: readonly number[];
}

export interface ClusterView {
  /** Live brokers (registered and unfenced), in id order. */
  brokers(): readonly BrokerEndpoint[];
  broker(nodeId: number): BrokerEndpoint | undefined;
  /** The active controller's id, or -1 while none is known. */
  controllerId(): number;
  partition(topic: string, partition: number): PartitionView | undefined;
}
