import { runApi } from '@shop/shared/service'
import { users } from '../service.ts'

await runApi(users)
