import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrorResponses, DomainError, ErrorCode, Public } from '@chat-ledger/platform';
import { GatewayConfig } from '../config/gateway.config';
import { ConsoleAsset, ConsoleAssets, REVALIDATE } from './console-assets';

/**
 * Nothing external: scripts, styles, images and fonts come from this origin only; the page talks to the gateway
 * (same origin) and to the ledger-consumer at LEDGER_PUBLIC_URL, and may not be framed.
 */
export function consoleContentSecurityPolicy(ledgerPublicUrl: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src 'self' ${new URL(ledgerPublicUrl).origin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** GET /console/config.json: what the page needs to know at run time. */
export class ConsoleSettingsResponse {
  @ApiProperty({ example: 'http://localhost:3001', description: "where the page calls the ledger-consumer's API (LEDGER_PUBLIC_URL)" })
  ledger_url!: string;
}

/**
 * The operators' console: the static files of the single-page app (apps/console, built by `npm run build`) and its
 * runtime settings. Public, because a browser fetches them before anyone signed in; the page then calls the APIs
 * with the bearer token it was given, and those stay behind the JWT guard.
 */
@ApiTags('console')
@Public()
@ApiErrorResponses(503)
@Controller('console')
export class ConsoleController {
  private policy?: string;

  constructor(
    private readonly assets: ConsoleAssets,
    private readonly config: GatewayConfig,
  ) {}

  /** Built on first use (the OpenAPI document is built over stubs, without a configuration). */
  private get csp(): string {
    return (this.policy ??= consoleContentSecurityPolicy(this.config.LEDGER_PUBLIC_URL));
  }

  @Get()
  @ApiOperation({ summary: "The operators' console (a single-page app); /console redirects to /console/" })
  @ApiProduces('text/html')
  @ApiOkResponse({ schema: { type: 'string' }, description: 'index.html (Cache-Control: no-cache, an ETag, a Content-Security-Policy)' })
  @ApiResponse({ status: 308, description: '/console → /console/' })
  index(@Req() req: Request, @Res() res: Response): void {
    // /console → /console/ (the fragment with a sign-in token survives a redirect).
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) {
      res.setHeader('cache-control', REVALIDATE);
      res.redirect(308, '/console/');
      return;
    }
    this.send(req, res, 'index.html');
  }

  /** What the page needs to know at run time: where the ledger-consumer's API is. */
  @Get('config.json')
  @ApiOperation({ summary: "The console's settings: where the page finds the ledger-consumer" })
  @ApiOkResponse({ type: ConsoleSettingsResponse })
  settings(@Res() res: Response): void {
    res.setHeader('content-security-policy', this.csp);
    res.setHeader('cache-control', REVALIDATE);
    res.type('application/json').send(JSON.stringify({ ledger_url: this.config.LEDGER_PUBLIC_URL.replace(/\/+$/, '') }));
  }

  @Get('assets/:file')
  @ApiOperation({ summary: "A file of the console's build (scripts, styles, icons), by its content-hashed name" })
  @ApiProduces('text/javascript', 'text/css', 'image/svg+xml', 'application/json')
  @ApiOkResponse({ schema: { type: 'string' }, description: 'Cache-Control: public, max-age=31536000, immutable' })
  @ApiErrorResponses(404)
  asset(@Req() req: Request, @Res() res: Response, @Param('file') file: string): void {
    this.send(req, res, `assets/${file}`);
  }

  private send(req: Request, res: Response, name: string): void {
    if (!this.assets.built) {
      throw new DomainError(ErrorCode.ServiceUnavailable, 'the console is not built: run `npm run build`', [
        { field: 'console', problem: `no index.html in ${this.assets.dir}` },
      ]);
    }
    const asset = this.assets.get(name);
    if (!asset) throw new DomainError(ErrorCode.NotFound, `no console file ${name}`, [{ field: 'path', problem: 'no such file in the console build' }]);
    writeAsset(req, res, asset, this.csp);
  }
}

function writeAsset(req: Request, res: Response, asset: ConsoleAsset, csp: string): void {
  res.setHeader('content-type', asset.contentType);
  res.setHeader('cache-control', asset.cacheControl);
  res.setHeader('content-security-policy', csp);
  res.setHeader('etag', asset.etag);
  res.setHeader('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === asset.etag) {
    res.status(304).end();
    return;
  }
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) res.setHeader('content-encoding', 'gzip');
  res.status(200).end(gzip ? asset.gzip : asset.body);
}
