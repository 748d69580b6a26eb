import { Module } from '@nestjs/common';
import { PricesSeedService } from './prices-seed.service';
import { PricesController } from './prices.controller';
import { PricesRepository } from './prices.repository';
import { PricesService } from './prices.service';

@Module({ controllers: [PricesController], providers: [PricesRepository, PricesService, PricesSeedService], exports: [PricesSeedService] })
export class PricesModule {}
