import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses, CurrentPrincipal, DomainError, ErrorCode, Principal, RateLimitedWrite, RequireScopes, Scopes } from '@chat-ledger/platform';
import { RunningTasksPage, TaskResponse } from './dto/task.response';
import { CompleteTaskDto } from './dto/complete-task.dto';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListRunningTasksQueryDto } from './dto/list-running-tasks.query.dto';
import { UpdateTaskDto } from './dto/update-task.dto';
import { TasksService } from './tasks.service';

const TaskIdParam = () => Param('task_id', new ParseUUIDPipe({ exceptionFactory: () => DomainError.invalidField('task_id', 'must be a UUID') }));

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  /** Registers a task (scope tasks:write): 201 when new, 200 when the same body named an existing one. */
  @Post()
  @RateLimitedWrite()
  @RequireScopes(Scopes.tasksWrite)
  @ApiOperation({ summary: 'Registers a task, idempotent on (source, external_id)' })
  @ApiCreatedResponse({ type: TaskResponse, description: 'a new task' })
  @ApiOkResponse({ type: TaskResponse, description: 'the same body named an existing task' })
  @ApiErrorResponses(ErrorCode.TaskConflict, ErrorCode.TenantMismatch)
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateTaskDto, @Res({ passthrough: true }) res: Response) {
    const { task, created } = await this.tasks.create(principal, dto);
    res.status(created ? 201 : 200);
    return task;
  }

  /** Open tasks (scope tasks:read): counts by status and kind, one page by the sort, stalled ones flagged. */
  @Get('running')
  @ApiOperation({ summary: 'Open tasks (scope tasks:read): counts by status and kind, one page by the sort, stalled ones flagged' })
  @ApiOkResponse({ type: RunningTasksPage })
  @ApiErrorResponses(403)
  running(@CurrentPrincipal() principal: Principal, @Query() query: ListRunningTasksQueryDto) {
    return this.tasks.running(principal, query);
  }

  @Get(':task_id')
  @ApiOperation({ summary: 'A task with its progress, usage and cost so far (tasks:read, its service, or its user)' })
  @ApiOkResponse({ type: TaskResponse })
  @ApiErrorResponses(400, ErrorCode.TaskNotFound)
  get(@CurrentPrincipal() principal: Principal, @TaskIdParam() id: string) {
    return this.tasks.get(principal, id);
  }

  /** Progress and heartbeat (scope tasks:write, the task's creator). */
  @Patch(':task_id')
  @RateLimitedWrite()
  @RequireScopes(Scopes.tasksWrite)
  @ApiOperation({ summary: 'Progress and heartbeat; only forward' })
  @ApiOkResponse({ type: TaskResponse })
  @ApiErrorResponses(ErrorCode.TaskNotFound, ErrorCode.TaskConflict)
  update(@CurrentPrincipal() principal: Principal, @TaskIdParam() id: string, @Body() dto: UpdateTaskDto) {
    return this.tasks.update(principal, id, dto);
  }

  /** Completes the task exactly once (scope tasks:write, or tasks:admin to fail or cancel another source's). */
  @Post(':task_id/complete')
  @HttpCode(200)
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Completes the task exactly once (tasks:write; tasks:admin may fail or cancel another source’s task)' })
  @ApiOkResponse({ type: TaskResponse, description: 'completed now, or the first completion again (Idempotent-Replayed: true)' })
  @ApiHeader({ name: 'Idempotent-Replayed', required: false, description: 'response header: true when this was the same completion again' })
  @ApiErrorResponses(403, ErrorCode.TaskNotFound, ErrorCode.TaskConflict)
  async complete(@CurrentPrincipal() principal: Principal, @TaskIdParam() id: string, @Body() dto: CompleteTaskDto, @Res({ passthrough: true }) res: Response) {
    if (!principal.scopes.has(Scopes.tasksWrite) && !principal.scopes.has(Scopes.tasksAdmin)) {
      throw new DomainError(ErrorCode.Forbidden, `completing a task needs scope ${Scopes.tasksWrite} (or ${Scopes.tasksAdmin} to fail or cancel one)`);
    }
    const { task, replayed } = await this.tasks.complete(principal, id, dto);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return task;
  }
}
