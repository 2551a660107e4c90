// A second, independent central system for the OCPP tests: npm `ocpp-rpc` (pinned in package.json) in strict
// mode, which checks every message both ways against the OCPP 1.6 schemas with formats (date-times
// included). On 127.0.0.1 with Basic auth. It plays one whole transaction with the charge point that
// connects: RemoteStart -> (Authorize, StartTransaction) -> MeterValues -> SetChargingProfile 10 A ->
// RemoteStop -> StopTransaction, prints each message it gets as a JSON line, then "END" and exits.
// Usage: node host_tests/csms_ocpp_rpc.js PORT PASSWORD
'use strict';
const { RPCServer } = require('ocpp-rpc');

const port = Number(process.argv[2]);
const password = process.argv[3];
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let txId = 2000;
let waiters = [];
const log = [];

function got(method, params) {
    log.push([method, params]);
    out({ got: method, params });
    waiters = waiters.filter((w) => !w());
}

function until(pred, what, ms = 30000) {
    return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timed out waiting for ' + what)), ms);
        const check = () => {
            const v = pred();
            if (v) { clearTimeout(t); resolve(v); return true; }
            return false;
        };
        if (!check()) waiters.push(check);
    });
}

const offered = (a) => log.filter(([m, p]) => m === 'MeterValues' && p.transactionId !== undefined &&
    p.meterValue[0].sampledValue.some((s) => s.measurand === 'Current.Offered' && s.value === a));

async function play(client) {
    const call = async (method, params) => {
        const r = await client.call(method, params);
        out({ called: method, result: r });
        return r;
    };
    await until(() => log.some(([m, p]) => m === 'StatusNotification' && p.connectorId === 1 && p.status === 'Preparing'),
        'Preparing');
    await call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '5' });
    await call('ChangeConfiguration', { key: 'MeterValuesSampledData',
        value: 'Energy.Active.Import.Register,Current.Import,Current.Offered' });
    await call('RemoteStartTransaction', { idTag: 'TAG1', connectorId: 1 });
    await until(() => log.some(([m]) => m === 'StartTransaction') && txId > 2000, 'StartTransaction');
    await until(() => offered('32.0').length, '32 A offered');
    await call('SetChargingProfile', { connectorId: 1, csChargingProfiles: {
        chargingProfileId: 9, transactionId: txId, stackLevel: 0, chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 10 }] } } });
    await until(() => offered('10.0').length, '10 A offered');
    await call('GetCompositeSchedule', { connectorId: 1, duration: 600 });
    await call('GetConfiguration', {});
    await call('RemoteStopTransaction', { transactionId: txId });
    await until(() => log.some(([m]) => m === 'StopTransaction'), 'StopTransaction');
}

async function main() {
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
    server.auth((accept, reject, handshake) => {
        if (handshake.password && handshake.password.toString() === password) accept();
        else reject(401);
    });
    server.on('client', (client) => {
        out({ connected: client.identity });
        client.on('strictValidationFailure', (e) => out({ invalid: e.method, outbound: e.outbound,
            error: String(e.error && e.error.message) }));
        const now = () => new Date().toISOString();
        client.handle('BootNotification', ({ params }) => { got('BootNotification', params);
            return { status: 'Accepted', interval: 300, currentTime: now() }; });
        client.handle('Heartbeat', ({ params }) => { got('Heartbeat', params); return { currentTime: now() }; });
        client.handle('StatusNotification', ({ params }) => { got('StatusNotification', params); return {}; });
        client.handle('Authorize', ({ params }) => { got('Authorize', params);
            return { idTagInfo: { status: 'Accepted' } }; });
        client.handle('StartTransaction', ({ params }) => { txId += 1; got('StartTransaction', params);
            return { transactionId: txId, idTagInfo: { status: 'Accepted' } }; });
        client.handle('StopTransaction', ({ params }) => { got('StopTransaction', params); return {}; });
        client.handle('MeterValues', ({ params }) => { got('MeterValues', params); return {}; });
        play(client).then(async () => {
            out({ end: true });
            process.stdout.write('END\n');
            await client.close({ force: true });
            await server.close({ force: true });
            process.exit(0);
        }, (e) => {
            out({ failed: String(e) });
            process.stdout.write('END\n');
            process.exit(1);
        });
    });
    await server.listen(port, '127.0.0.1');
    out({ listening: port });
}

setTimeout(() => { out({ failed: 'overall timeout' }); process.stdout.write('END\n'); process.exit(1); }, 90000);
main();
