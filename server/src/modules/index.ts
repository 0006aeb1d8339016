import type { FastifyInstance } from 'fastify';
import adminOverviewRoutes from './admin/routes.js';
import { demoUpstreamRoutes } from './api-access/demo-upstream.js';
import { gatewayRoutes } from './api-access/gateway.js';
import { apiAccessAdminRoutes, apiAccessRoutes } from './api-access/routes.js';
import auditRoutes from './audit/routes.js';
import authRoutes from './auth/routes.js';
import { mediaAdminRoutes, mediaRoutes } from './catalog/media-routes.js';
import { catalogAdminRoutes, catalogRoutes } from './catalog/routes.js';
import { seoRoutes } from './catalog/seo-routes.js';
import { sourceAdminRoutes, sourceRoutes } from './catalog/source-routes.js';
import { downloadAdminRoutes, downloadRoutes } from './downloads/routes.js';
import { licensePublicRoutes, licensingAdminRoutes, licensingRoutes } from './licensing/routes.js';
import { checkoutAdminRoutes, checkoutRoutes } from './checkout/routes.js';
import mailboxRoutes from './mail/routes.js';
import { sandboxGatewayRoutes, webhookAdminRoutes, webhookRoutes } from './payments/routes.js';
import opsRoutes from './ops/routes.js';
import systemRoutes from './system/routes.js';
import userAdminRoutes from './users/routes.js';

/** Every module and where it is mounted: the one place to see the whole API surface. */
export const modules: { prefix: string; plugin: (app: FastifyInstance) => Promise<void> }[] = [
  { prefix: '', plugin: opsRoutes },
  { prefix: '/api/auth', plugin: authRoutes },
  { prefix: '/api', plugin: systemRoutes },
  { prefix: '/api/admin', plugin: adminOverviewRoutes },
  { prefix: '/api/admin', plugin: userAdminRoutes },
  { prefix: '/api/admin', plugin: auditRoutes },
  { prefix: '/api/admin', plugin: mailboxRoutes },
  { prefix: '/api', plugin: catalogRoutes },
  { prefix: '/api/admin', plugin: catalogAdminRoutes },
  { prefix: '', plugin: seoRoutes },
  { prefix: '/api', plugin: sourceRoutes },
  { prefix: '/api/admin', plugin: sourceAdminRoutes },
  { prefix: '/api/admin', plugin: mediaAdminRoutes },
  { prefix: '', plugin: mediaRoutes },
  { prefix: '/api', plugin: checkoutRoutes },
  { prefix: '/api/admin', plugin: checkoutAdminRoutes },
  { prefix: '/api', plugin: webhookRoutes },
  { prefix: '/api', plugin: sandboxGatewayRoutes },
  { prefix: '/api/admin', plugin: webhookAdminRoutes },
  { prefix: '/api', plugin: licensePublicRoutes },
  { prefix: '/api', plugin: licensingRoutes },
  { prefix: '/api/admin', plugin: licensingAdminRoutes },
  { prefix: '/api', plugin: apiAccessRoutes },
  { prefix: '/api/admin', plugin: apiAccessAdminRoutes },
  { prefix: '/api', plugin: gatewayRoutes },
  { prefix: '/api', plugin: demoUpstreamRoutes },
  { prefix: '/api', plugin: downloadRoutes },
  { prefix: '/api/admin', plugin: downloadAdminRoutes },
];
