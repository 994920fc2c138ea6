import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ApiModuleOptions } from './api.options.js';

export const { ConfigurableModuleClass: ConfigurableApiModule, MODULE_OPTIONS_TOKEN: API_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<ApiModuleOptions>().setClassMethodName('forRoot').build();
