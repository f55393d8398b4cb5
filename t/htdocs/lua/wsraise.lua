-- Closes a WebSocket upgrade through mod_fastexc's notes API (t/websocket.t).
function handle(r)
    r.notes['fastexc-ws-code'] = '4004'
    r.notes['fastexc-ws-reason'] = 'closed from Lua'
    return 403
end
