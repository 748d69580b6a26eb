import { Logger, Module } from '@nestjs/common';
import { GatewayConfig } from '../config/gateway.config';
import { ConsoleAssets, defaultConsoleDir } from './console-assets';
import { ConsoleController } from './console.controller';

/** GET /console/…: the operators' console (apps/console), served from its build folder. */
@Module({
  controllers: [ConsoleController],
  providers: [
    {
      provide: ConsoleAssets,
      inject: [GatewayConfig],
      useFactory: (config: GatewayConfig) => {
        const assets = new ConsoleAssets(config.CONSOLE_DIR ?? defaultConsoleDir());
        if (!assets.built) new Logger('Console').warn({ msg: 'console not built: /console/ answers 503 until `npm run build`', dir: assets.dir });
        return assets;
      },
    },
  ],
})
export class ConsoleModule {}
