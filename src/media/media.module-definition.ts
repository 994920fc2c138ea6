import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MediaModuleOptions } from './media.options.js';

export const {
  ConfigurableModuleClass: ConfigurableMediaModule,
  MODULE_OPTIONS_TOKEN: MEDIA_MODULE_OPTIONS,
  OPTIONS_TYPE: MEDIA_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MEDIA_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MediaModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
