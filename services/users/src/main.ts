import { runApi } from '@shop/shared/runtime/service'
import { users } from '../service.ts'

await runApi(users)
