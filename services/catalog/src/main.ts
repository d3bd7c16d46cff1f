import { runApi } from '@shop/shared/runtime/service'
import { catalog } from '../service.ts'

await runApi(catalog)
