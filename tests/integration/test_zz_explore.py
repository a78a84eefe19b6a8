import json
def test_explore(sim, receiver, twiml):
    url = receiver.route("/sms", twiml.message("Thanks!"))
    sim.number(sms_url=url)
    m = sim.inbound("Hi there")
    st = sim.settled(m["sid"], replies=1)
    print(json.dumps(m, indent=1))
    print(json.dumps(st, indent=1))
    r = receiver.wait("/sms")[0]
    print(r)
    rep = st["replies"][0]["sid"]
    print(sim.status(rep, "delivered"))
