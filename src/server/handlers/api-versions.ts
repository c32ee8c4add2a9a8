import { ApiVersionsApi } from '../../protocol/messages/index.js';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/messages/api-versions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { register } from '../request-context.js';

/** ClientSoftwareName/Version are informational; unlike Java we accept any value (COMPAT.md T1f). */
export const apiVersionsHandler = register<ApiVersionsRequest, Partial<ApiVersionsResponse>>(ApiVersionsApi, 0, 4, (_req, ctx) => ({
  errorCode: ErrorCode.NONE,
  apiKeys: ctx.services.advertisedApis(),
  throttleTimeMs: 0,
}));
