import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { TENANT_ID, TENANT_ID_PROBLEM } from '@chat-ledger/contracts';

/** Organisation, project and API key ids: the form of the events' tenant fields. */
export const IsTenantIdField = () => Matches(TENANT_ID, { message: TENANT_ID_PROBLEM });
export const API_KEY_DOC = 'the API key the caller used (as the caller names it); the ledger groups and filters usage by it';

/**
 * The tenant a service names for a write on a user's behalf (token adjustments, usage records, tasks). All
 * optional; see docs/tenants.md for where each comes from when left out.
 */
export class ServiceTenantDto {
  @ApiPropertyOptional({
    maxLength: 64,
    description:
      "the user's organisation: only a token without an org_id claim (a platform service) names it; a token with one may only repeat its own. Absent: the token's, else the user's",
  })
  @IsOptional()
  @IsString()
  @IsTenantIdField()
  org_id?: string;

  @ApiPropertyOptional({ maxLength: 64, description: "the project (default: the token's project_id claim, else the conversation's or task's)" })
  @IsOptional()
  @IsString()
  @IsTenantIdField()
  project_id?: string;

  @ApiPropertyOptional({ maxLength: 64, description: API_KEY_DOC })
  @IsOptional()
  @IsString()
  @IsTenantIdField()
  api_key_id?: string;
}
