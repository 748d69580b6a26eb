import { applyDecorators, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, StreamableFile } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { map, Observable } from 'rxjs';
import { ApiCsvAlternative } from '../http/openapi';
import { CsvRow, toCsv, wantsCsv } from './csv';

export const CSV_EXPORT = 'chat-ledger:csv-export';

export interface CsvExportOptions {
  /** File name offered for download (without .csv). */
  name: string;
  /** The rows of a JSON response body (e.g. its `groups`), one CSV line each. */
  rows: (body: any) => CsvRow[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** A paged list's cursor of the next page, sent as the `X-Next-Cursor` header (CSV has no room for it). */
  nextCursor?: (body: any) => string | null | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Marks a route whose response may also be served as CSV (Accept: text/csv), with the same query and checks;
 * documents text/csv as an alternative content of its 200 response.
 */
export const CsvExport = (options: CsvExportOptions) => applyDecorators(SetMetadata(CSV_EXPORT, options), ApiCsvAlternative());

/**
 * Serves the rows of a marked route as CSV when the client asks for it. The handler runs exactly as for
 * JSON (same validation, scope checks and query), only the rendering differs. A handler that returns a
 * StreamableFile (a streamed export, e.g. the journal) is passed through.
 */
@Injectable()
export class CsvExportInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<CsvExportOptions | undefined>(CSV_EXPORT, context.getHandler());
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    if (!options || !wantsCsv(request.headers.accept)) return next.handle();
    const response = http.getResponse<Response>();
    return next.handle().pipe(
      map((body) => {
        if (body instanceof StreamableFile) return body;
        response.setHeader('content-type', 'text/csv; charset=utf-8');
        response.setHeader('content-disposition', `attachment; filename="${options.name}.csv"`);
        const cursor = options.nextCursor?.(body);
        if (cursor) response.setHeader('x-next-cursor', cursor);
        return toCsv(options.rows(body));
      }),
    );
  }
}
