import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** chat.user_orgs: the one organisation each user belongs to, fixed the first time the gateway sees the user with one. */
@Injectable()
export class TenantsRepository {
  async orgOf(manager: EntityManager, userId: string): Promise<string | null> {
    const [row] = await manager.query(`SELECT org_id FROM chat.user_orgs WHERE user_id = $1`, [userId]);
    return row?.org_id ?? null;
  }

  /**
   * Binds the user to `orgId` unless it is bound already; returns the organisation it is bound to now. A
   * concurrent binding makes the insert wait for it and do nothing; the read after it is a statement of its own,
   * so it sees that binding.
   */
  async bind(manager: EntityManager, userId: string, orgId: string, boundBy: string): Promise<string> {
    const inserted = await manager.query(
      `INSERT INTO chat.user_orgs (user_id, org_id, bound_by) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING RETURNING org_id`,
      [userId, orgId, boundBy],
    );
    if (inserted.length > 0) return inserted[0].org_id;
    return (await this.orgOf(manager, userId))!;
  }
}
