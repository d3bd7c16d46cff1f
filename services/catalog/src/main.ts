import { runApi } from '@shop/shared/service'
import { catalog } from '../service.ts'

await runApi(catalog)
