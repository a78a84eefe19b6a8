# Messages create with Ruby's Net::HTTP, finding the proxy as Faraday (twilio-ruby's HTTP
# layer) does: URI#find_proxy, which reads https_proxy for an https URL. Nothing here knows
# about switchboard; OpenSSL's default store reads SSL_CERT_FILE (`switchboard env --sdk ruby`).
require "net/http"
require "uri"

sid, token = ENV.fetch("TWILIO_ACCOUNT_SID"), ENV.fetch("TWILIO_AUTH_TOKEN")
uri = URI("https://api.twilio.com/2010-04-01/Accounts/#{sid}/Messages.json")
proxy = uri.find_proxy
http = Net::HTTP.new(uri.host, uri.port, proxy&.host, proxy&.port)
http.use_ssl = true
request = Net::HTTP::Post.new(uri)
request.basic_auth(sid, token)
request.set_form_data("From" => ARGV[0], "To" => ARGV[1], "Body" => ARGV[2])
response = http.request(request)
puts response.code
puts response.body
exit(response.code == "201" ? 0 : 1)
