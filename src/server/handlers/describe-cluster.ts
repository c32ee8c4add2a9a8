import { DescribeClusterApi } from '../../protocol/messages/index.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../protocol/messages/describe-cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import { register, type Reply } from '../request-context.js';

const BROKERS_ENDPOINT = 1;

export const describeClusterHandler = register<DescribeClusterRequest, Reply<DescribeClusterResponse>>(DescribeClusterApi, 0, 1, (req, ctx) => {
  const { identity, cluster } = ctx.services;
  if (ctx.apiVersion >= 1 && req.endpointType !== BROKERS_ENDPOINT) {
    return { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${req.endpointType}`, endpointType: req.endpointType, clusterId: identity.clusterId, controllerId: -1, brokers: [] };
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType: BROKERS_ENDPOINT,
    clusterId: identity.clusterId,
    controllerId: cluster.controllerId(),
    brokers: cluster.brokers().map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    clusterAuthorizedOperations: -2147483648,
  };
});
